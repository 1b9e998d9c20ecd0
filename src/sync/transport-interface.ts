// What a transport gives the protocol: one exchange per service. For upload-pack the client asks first (a
// `fetch` frame) and the server's answer starts with the advertisement; for receive-pack the server speaks
// first (advertisement), the client takes one turn (commands and a pack), then the server answers.

import type { Writable } from 'node:stream';
import type { Service } from './messages.ts';

export interface Exchange {
  /** Everything the server sends: the advertisement, then its answer to the client's turn. */
  readonly incoming: AsyncIterable<Uint8Array>;
  /** The client's turn; ending it ends the request. Null for a read-only source such as a bundle file. */
  readonly outgoing: Writable | null;
  /** Releases sockets, processes or files; safe to call more than once. */
  close(): void;
}

export interface Transport {
  /** The URL as the user wrote it, for messages. */
  readonly url: string;
  connect(service: Service): Promise<Exchange>;
}
