// Reading a value from the terminal without echoing it (like `read -s`): raw mode, one line, backspace
// and Ctrl-U edit, Ctrl-C cancels. Multi-line values are piped on stdin instead: a paste that holds a line
// break is refused rather than cut at it.

import type { Readable, Writable } from 'node:stream';
import { EnvSyncError } from '../../errors.ts';

type TtyInput = Readable & { setRawMode(mode: boolean): unknown; isTTY?: boolean };

export function isTerminal(stream: Readable): stream is TtyInput {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

export function promptSecret(input: TtyInput, output: Writable, question: string): Promise<string> {
  // Raw mode first: keys typed as soon as the question shows must not be echoed by the terminal.
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  output.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = () => {
      input.removeListener('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
    };
    const onData = (chunk: string) => {
      const chars = Array.from(chunk);
      for (const [index, char] of chars.entries()) {
        if (char === '\r' || char === '\n' || char === '\u0004') {
          finish();
          if (
            chars
              .slice(index + 1)
              .join('')
              .replace(/[\r\n]+$/, '') !== ''
          )
            reject(pastedLines());
          else resolve(value);
          return;
        }
        if (char === '\u0003') {
          finish();
          reject(new EnvSyncError('E_USAGE', 'cancelled; nothing changed', { exitCode: 130 }));
          return;
        }
        if (char === '\u007f' || char === '\b') value = Array.from(value).slice(0, -1).join('');
        else if (char === '\u0015') value = '';
        else value += char;
      }
    };
    input.on('data', onData);
  });
}

function pastedLines(): EnvSyncError {
  return new EnvSyncError(
    'E_USAGE',
    'the pasted value holds a line break; nothing changed. Pipe multi-line values instead: env-sync set KEY < file',
  );
}
