// One look at an env-sync server for `doctor`: connect (over pinned mutual TLS for https), ask for the
// upload-pack advertisement, and keep only the status and the server's clock; the answer's body is not read.

import http from 'node:http';
import { endpoint, reachError } from './http.ts';
import type { ClientTls } from './mutual-tls.ts';

export interface Probe {
  /** 200 when the server lets this peer fetch; 403 when it refuses its certificate. */
  readonly status: number;
  /** The server's clock (its HTTP Date header), in seconds; null without one. */
  readonly serverTime: number | null;
}

const PROBE_TIMEOUT_MS = 10_000;

/** Throws E_REMOTE (cannot reach …) or the pin's refusal; otherwise resolves what the server answered. */
export function probeServer(url: string, tls?: ClientTls): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const request = http.request({ ...endpoint(new URL(url), 'upload-pack', tls), method: 'GET' });
    request.setTimeout(PROBE_TIMEOUT_MS, () =>
      request.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })),
    );
    request.on('error', (error) => reject(reachError(url, error)));
    request.on('response', (response) => {
      const date = Date.parse(response.headers.date ?? '');
      resolve({
        status: response.statusCode ?? 0,
        serverTime: Number.isNaN(date) ? null : Math.floor(date / 1000),
      });
      response.destroy();
      request.destroy();
    });
    request.end();
  });
}
