// `env-sync config`: read and change repository settings; `encrypt` re-seals every environment's head.

import { Command, Option } from 'clipanion';
import { parseAgeRecipient } from '../../crypto/age-recipient.ts';
import { EnvSyncError } from '../../errors.ts';
import { encryptsAtRest, recipientList } from '../../model/readers.ts';
import { describeReseal, resealEnvironments } from '../../model/reseal.ts';
import type { Repository } from '../../store/repository.ts';
import { EnvSyncCommand } from '../base-command.ts';
import { createSession } from '../session.ts';

/** Set once at init or clone; changing them would mix modes or groups. */
const FIXED_KEYS = new Set(['core.version', 'core.mode', 'core.group', 'core.groupnonce']);

function fullKey(key: string): string {
  return key.includes('.') ? key : `core.${key}`;
}

export class ConfigGetCommand extends EnvSyncCommand {
  static override paths = [['config', 'get']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: 'print one repository setting',
    details:
      'Prints the value of `<key>` (`section.key` or `section.sub.key`; a bare name means `core.<name>`). Exits 1 when it is not set.',
    examples: [
      ['Show the security mode', '$0 config get mode'],
      ['Show a remote URL', '$0 config get remote.origin.url'],
    ],
  });

  key = Option.String({ name: 'key' });

  async execute(): Promise<number> {
    const repo = await this.openRepository();
    const value = repo.config.get(fullKey(this.key));
    if (value === undefined) return 1;
    this.print(value);
    return 0;
  }
}

export class ConfigListCommand extends EnvSyncCommand {
  static override paths = [['config', 'list']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: 'list repository settings',
    details: 'Prints every setting as `key=value`, or a JSON object with `--json`.',
    examples: [['List settings', '$0 config list']],
  });

  json = Option.Boolean('--json', false, { description: 'print JSON' });

  async execute(): Promise<number> {
    const repo = await this.openRepository();
    const entries = repo.config.entries();
    if (this.json) this.printJson(Object.fromEntries(entries));
    else this.print(entries.map(([key, value]) => `${key}=${value}`).join('\n'));
    return 0;
  }
}

export class ConfigSetCommand extends EnvSyncCommand {
  static override paths = [['config', 'set']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: 'change a repository setting',
    details: `
      Sets \`<key>\` to \`<value>\` in \`.env-sync/config\` (written atomically). \`core.mode\`, \`core.group\`,
      \`core.groupNonce\` and \`core.version\` are fixed at init and cannot be changed.

      \`encrypt\` (trusted-owner-ssh only) turns age encryption at rest on or off; every environment's head is
      re-sealed as a new commit, so the current secrets are stored the new way at once (older commits keep
      the form they were written in). In secure-peer encryption is mandatory and cannot be turned off.
      \`encrypt.recipients\` is a comma-separated list of extra age recipients (your other machines) that new
      snapshots are encrypted to; when encryption is on, every environment's head is re-sealed to them at once.
    `,
    examples: [
      ['Encrypt secrets at rest in a trusted-owner-ssh repository', '$0 config set encrypt true'],
      ['Let another machine of yours read new snapshots', '$0 config set encrypt.recipients age1…'],
    ],
  });

  key = Option.String({ name: 'key' });
  value = Option.String({ name: 'value' });

  async execute(): Promise<number> {
    const repo = await this.openRepository();
    const key = fullKey(this.key);
    if (FIXED_KEYS.has(key.toLowerCase()))
      throw new EnvSyncError('E_CONFIG', `${key} is fixed when the repository is created`);
    if (key === 'core.encrypt') return this.#setEncrypt(this.value);
    if (key === 'encrypt.recipients') return this.#setRecipients(this.value);
    repo.config.set(key, this.value);
    await repo.saveConfig();
    return 0;
  }

  /** New readers read the current secrets at once: an encrypting repository re-seals every head to them. */
  async #setRecipients(value: string): Promise<number> {
    for (const recipient of recipientList(value)) parseAgeRecipient(recipient);
    const repo = await this.openRepository();
    repo.config.set('encrypt.recipients', value);
    if (encryptsAtRest(repo)) await this.#reseal(repo, 'Re-seal to the readers of encrypt.recipients');
    await repo.saveConfig();
    return 0;
  }

  async #setEncrypt(value: string): Promise<number> {
    if (value !== 'true' && value !== 'false')
      throw new EnvSyncError('E_CONFIG', 'encrypt must be true or false');
    const repo = await this.openRepository();
    if (repo.mode === 'secure-peer' && value === 'false') {
      throw new EnvSyncError(
        'E_MODE',
        'secure-peer always encrypts at rest; encryption cannot be turned off',
      );
    }
    if (repo.mode === 'dev-plaintext-http' && value === 'true') {
      throw new EnvSyncError(
        'E_MODE',
        'dev-plaintext-http never encrypts; use trusted-owner-ssh or secure-peer',
      );
    }
    if (repo.mode === 'secure-peer') return 0;
    if ((repo.config.get('core.encrypt') ?? 'false') === value) return 0;
    // Re-seal first, save the setting last: a failure leaves the old setting, and every head stays readable.
    repo.config.set('core.encrypt', value);
    await this.#reseal(repo, value === 'true' ? 'Encrypt at rest' : 'Store in plaintext');
    await repo.saveConfig();
    return 0;
  }

  async #reseal(repo: Repository, reason: string): Promise<void> {
    const resealed = await resealEnvironments(await createSession(repo), reason);
    for (const result of resealed) this.print(`${describeReseal(result)} as ${result.commit.slice(0, 12)}`);
  }
}
