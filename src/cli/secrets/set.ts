// `env-sync set KEY` (value from stdin or a no-echo prompt) and `env-sync set KEY=VALUE …`.

import { Command, Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import { changeEnvironment, mergeEntries } from '../../model/apply-change.ts';
import type { Entries } from '../../model/snapshot-codec.ts';
import { MAX_OBJECT_BYTES } from '../../store/limits.ts';
import { readAllBounded } from '../io.ts';
import { checkKeyArgument, splitAssignment, valueFromInput } from './key-arguments.ts';
import { isTerminal, promptSecret } from './prompt-secret.ts';
import { messageOption, SecretsCommand } from './secrets-command.ts';

export class SetCommand extends SecretsCommand {
  static override paths = [['set']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: 'set secrets, committing the change',
    details: `
      \`set KEY\` reads the value from stdin when stdin is not a terminal (one trailing newline is removed, so
      \`echo\` works; send two to keep one), or else asks for it without echoing what you type, saying when it
      replaces a value the key already has. Values may hold anything UTF-8: newlines, quotes, \`#\`, \`=\`, \`$\`.

      An empty value from stdin (the command before the pipe failed?) or a bare Enter at the prompt is refused
      and nothing changes; \`--allow-empty\` sets an empty value on purpose. A value pasted at the prompt with a
      line break in it is refused too: pipe multi-line values instead.

      \`set KEY=VALUE …\` sets several keys at once, splitting each argument at its first \`=\`. It warns,
      because command-line arguments are visible to other local users (\`ps\`, \`/proc\`) and often end up
      in shell history.

      Outside any repository, the first \`set\` makes one in the current directory, as \`env-sync init\` would
      (secure-peer), and says so on stderr; run \`env-sync init --mode <mode>\` first to choose another mode.

      Key names follow dotenv's rule: letters, digits, \`_\`, \`.\` and \`-\`, not starting with a digit, \`.\` or
      \`-\`. The change becomes one commit on the environment's branch, with a message naming the keys (never
      the values) unless \`-m\` gives one. Setting a key to the value it already has commits nothing.
    `,
    examples: [
      ['Type a value without it showing on screen', '$0 set API_TOKEN'],
      ['Pipe a value (a file, a password manager…)', 'pass show stripe/live | $0 set STRIPE_KEY'],
      ['Set a multi-line value from a file', '$0 set --env staging TLS_KEY < server.key'],
      ['Set non-secret settings inline', '$0 set LOG_LEVEL=debug PORT=8080 -m "Verbose logs"'],
    ],
  });

  protected override readonly createsRepository = true;

  message = messageOption();
  allowEmpty = Option.Boolean('--allow-empty', false, {
    description: 'accept an empty value from stdin or the prompt',
  });
  args = Option.Rest({ name: 'KEY | KEY=VALUE', required: 1 });

  async execute(): Promise<number> {
    const { session, env, state } = await this.openEnvironment();
    const updates = await this.#readUpdates(env, state.entries);
    const result = await changeEnvironment(session, env, (now) => mergeEntries(now.entries, updates), {
      message: this.message,
    });
    const keys = [...updates.keys()];
    this.reportChange(
      env,
      result,
      `${keys.join(', ')} already ${keys.length === 1 ? 'has' : 'have'} that value in '${env}'`,
    );
    return 0;
  }

  async #readUpdates(env: string, existing: Entries): Promise<Map<string, string>> {
    const withValues = this.args.filter((arg) => arg.includes('='));
    if (withValues.length === 0) {
      if (this.args.length !== 1) {
        // Never echo the arguments: the second is probably a value typed after the key.
        throw new EnvSyncError(
          'E_USAGE',
          'give one KEY (its value is read from stdin or a prompt) or KEY=VALUE pairs; values are never separate arguments',
        );
      }
      const key = checkKeyArgument(this.args[0]!, 1);
      return new Map([[key, await this.#readValue(key, env, existing.has(key))]]);
    }
    if (withValues.length !== this.args.length) {
      throw new EnvSyncError(
        'E_USAGE',
        'mix of KEY and KEY=VALUE arguments; give one KEY alone, or only KEY=VALUE pairs',
      );
    }
    const updates = new Map<string, string>();
    for (const [index, arg] of this.args.entries()) {
      const [key, value] = splitAssignment(arg, index + 1);
      updates.set(key, value);
    }
    this.warn(
      "values given as arguments are visible to other local users (ps, /proc) and may stay in shell history; prefer 'env-sync set KEY' with the value piped or typed",
    );
    return updates;
  }

  async #readValue(key: string, env: string, replaces: boolean): Promise<string> {
    const stdin = this.context.stdin;
    const typed = isTerminal(stdin);
    const value = typed
      ? await promptSecret(
          stdin,
          this.context.stderr,
          `Value for ${key} (${env}${replaces ? ', replaces its current value' : ''}): `,
        )
      : valueFromInput(await readAllBounded(stdin, MAX_OBJECT_BYTES, 'the value on stdin'));
    if (value === '' && !this.allowEmpty) {
      throw new EnvSyncError(
        'E_EMPTY_VALUE',
        `${typed ? 'no value typed' : 'the value on stdin is empty (did the command before the pipe fail?)'}; ` +
          `nothing changed${replaces ? ` and ${key} keeps its value` : ''}. To set an empty value on purpose: env-sync set --allow-empty ${key}`,
      );
    }
    return value;
  }
}
