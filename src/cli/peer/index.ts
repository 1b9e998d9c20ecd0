// Membership commands: the peer registry (request, approve, revoke, list, show) and the event log.

import { PeerApproveCommand } from './approve.ts';
import { PeerListCommand, PeerShowCommand } from './list.ts';
import { LogCommand } from './log.ts';
import { PeerRequestCommand } from './request.ts';
import { PeerRevokeCommand } from './revoke.ts';

export const peerCommands = [
  PeerRequestCommand,
  PeerApproveCommand,
  PeerRevokeCommand,
  PeerListCommand,
  PeerShowCommand,
  LogCommand,
];
