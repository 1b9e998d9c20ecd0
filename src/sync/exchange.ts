// What a transport gives the protocol: one exchange per service. The server speaks first (advertisement),
// the client takes exactly one turn (a request, maybe followed by a pack), then the server answers; or, for a
// one-turn fetch, the client asks first and the server's answer starts with the advertisement.

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

export interface ConnectOptions {
  /**
   * The client writes its turn without waiting for the advertisement (a `fetch` frame), and the server's
   * answer carries it: a transport that fetches the advertisement separately (HTTP's GET) skips that.
   */
  readonly askFirst?: boolean;
}

export interface Transport {
  /** The URL as the user wrote it, for messages. */
  readonly url: string;
  connect(service: Service, options?: ConnectOptions): Promise<Exchange>;
}
