// The standard streams commands get as their context, made on first use. Touching process.stdin, stdout and
// stderr creates three streams (and loads the tty or net module behind each): about 17M instructions, a
// tenth of a cold `get`, which only ever writes one line. So writes go straight to the file descriptor, and
// the real stream is made only when something else is asked of it.

import { writeSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

interface Stdio {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

export function processStdio(): Stdio {
  return {
    stdin: onFirstUse(() => process.stdin),
    stdout: descriptorWriter(1, () => process.stdout),
    stderr: descriptorWriter(2, () => process.stderr),
  };
}

type WriteCallback = (error?: Error | null) => void;

/**
 * A stand-in for process.stdout or stderr whose write() is a writeSync on the descriptor: what Node's own
 * stream does for files, pipes and terminals on POSIX, where those writes are synchronous. A descriptor left
 * non-blocking by another program can refuse a write (EAGAIN): the rest then goes through the real stream,
 * which waits for it, and so does everything after, so output keeps its order.
 */
function descriptorWriter(fd: 1 | 2, stream: () => Writable): Writable {
  let real: Writable | undefined;
  const write = (
    chunk: string | Uint8Array,
    encodingOrCallback?: BufferEncoding | WriteCallback,
    maybeCallback?: WriteCallback,
  ): boolean => {
    const callback = typeof encodingOrCallback === 'function' ? encodingOrCallback : maybeCallback;
    const encoding = typeof encodingOrCallback === 'string' ? encodingOrCallback : 'utf8';
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
    let written = 0;
    if (real === undefined) {
      try {
        while (written < bytes.length) written += writeSync(fd, bytes, written);
        callback?.();
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
        real = stream();
      }
    }
    return real.write(bytes.subarray(written), callback);
  };
  return onFirstUse(() => (real ??= stream()), { write });
}

/** An object that stands for `make()`'s result, made when first used; `own` properties answer first. */
function onFirstUse<T extends object>(make: () => T, own: Record<string, unknown> = {}): T {
  let target: T | undefined;
  const get = () => (target ??= make());
  return new Proxy(own as T, {
    get(_, property) {
      if (Object.hasOwn(own, property)) return own[property as string];
      const stream = get();
      const value = Reflect.get(stream, property, stream);
      return typeof value === 'function' ? value.bind(stream) : value;
    },
    set: (_, property, value) => Reflect.set(get(), property, value),
    has: (_, property) => Object.hasOwn(own, property) || Reflect.has(get(), property),
  });
}
