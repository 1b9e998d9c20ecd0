// `env-sync diff [<rev> [<rev>]]`: your edits to the working file, or how the file or another revision
// differs from a revision, as a unified-style diff of keys; values masked unless asked for.

import { Command, Option } from 'clipanion';
import { encodeDotenvValue } from '../../dotenv/index.ts';
import { EnvSyncError, isEnvSyncError } from '../../errors.ts';
import { byCodeUnit, diffEntries } from '../../model/diff.ts';
import { commitKeys, readRevision } from '../../model/environment.ts';
import { readExistingEnvironment } from '../../model/environment-lifecycle.ts';
import type { Entries } from '../../model/snapshot-codec.ts';
import { viewWorkingFile } from '../../model/working-file-changes.ts';
import { resolveRevision } from '../../store/revision.ts';
import { coloursFor } from '../colour.ts';
import { MASK, SecretsCommand } from './secrets-command.ts';

interface Side {
  readonly name: string;
  entries: Entries;
  /** Values could not be read: `entries` maps the key names to ''. */
  readonly namesOnly?: boolean;
}

export class DiffCommand extends SecretsCommand {
  static override paths = [['diff']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: 'show how the working file or a revision differs from another revision',
    details: `
      Without a revision, shows your edits: the commit the working file was checked out from (\`---\`) against
      the file (\`+++\`). \`diff <rev>\` compares that revision with the working file, and \`diff <rev> <rev>\`
      two revisions (\`main\`, \`main~2\`, \`origin/main\`, a commit id, \`main@{1}\` from the reflog).

      One \`-KEY=value\` line for the old side and one \`+KEY=value\` line for the new, sorted by key. Values are
      masked unless \`--show-values\` is given; then each is written as in a \`.env\` file, or as a JSON string
      when \`.env\` cannot hold it: \`env-sync diff main --show-values\` shows both values of a key changed in
      the file and upstream. A peer that cannot read the values (not approved yet, or approved after they
      were sealed) still gets a masked diff of two revisions: the keys added and removed, with a warning. A
      missing working file counts as empty. With \`--exit-code\`, exits 1 when there are differences, as
      \`git diff --exit-code\`.

      \`--json\` prints \`{from, to, namesOnly, changes}\`, \`changes\` an array of \`{key, change, old, new}\`
      sorted by key, \`change\` one of \`added\`, \`changed\` or \`removed\`; \`old\` and \`new\` are there only
      with \`--show-values\`, each when its side has the key.
    `,
    examples: [
      ['Which keys you changed in .env', '$0 diff'],
      ['Review the values before committing them', '$0 diff --show-values && $0 import'],
      ['What a pull would bring', '$0 diff main origin/main'],
      ['What the last commit changed', '$0 diff main~1 main --show-values'],
      [
        'The keys a pull would change, for a script',
        "$0 diff main origin/main --json | jq -r '.changes[].key'",
      ],
    ],
  });

  showValues = Option.Boolean('--show-values', false, { description: 'print the values instead of masks' });
  exitCode = Option.Boolean('--exit-code', false, { description: 'exit 1 when there are differences' });
  json = Option.Boolean('--json', false, { description: 'print a JSON object' });
  revisions = Option.Rest({ name: 'rev', required: 0 });

  async execute(): Promise<number> {
    const [before, after] = await this.#sides();
    if (before.namesOnly || after.namesOnly) {
      // Masked, a diff of revisions needs only key names; a peer that cannot read the values gets those.
      for (const side of [before, after])
        side.entries = new Map([...side.entries.keys()].map((key) => [key, '']));
      this.warn('values not readable here, so only keys added or removed are shown');
    }
    const diff = diffEntries(before.entries, after.entries);
    const keys = [...diff.added, ...diff.changed, ...diff.removed].sort(byCodeUnit);
    if (this.json) {
      this.printJson({
        from: before.name,
        to: after.name,
        namesOnly: before.namesOnly === true || after.namesOnly === true,
        changes: keys.map((key) => this.#change(key, before.entries.get(key), after.entries.get(key))),
      });
    } else if (keys.length > 0) {
      this.context.stdout.write(this.#text(before, after, keys));
    }
    return this.exitCode && keys.length > 0 ? 1 : 0;
  }

  #change(key: string, old: string | undefined, next: string | undefined) {
    const change = old === undefined ? 'added' : next === undefined ? 'removed' : 'changed';
    if (!this.showValues) return { key, change };
    return {
      key,
      change,
      ...(old === undefined ? {} : { old }),
      ...(next === undefined ? {} : { new: next }),
    };
  }

  /** `--- a`, `+++ b`, then `-KEY=…` and `+KEY=…` lines, red and green on a terminal. */
  #text(before: Side, after: Side, keys: readonly string[]): string {
    const colour = coloursFor(this.context.stdout);
    const show = (key: string, value: string) =>
      `${key}=${this.showValues ? (encodeDotenvValue(value) ?? JSON.stringify(value)) : MASK}`;
    let text = `${colour.bold(`--- ${before.name}`)}\n${colour.bold(`+++ ${after.name}`)}\n`;
    for (const key of keys) {
      const old = before.entries.get(key);
      const next = after.entries.get(key);
      if (old !== undefined) text += `${colour.red(`-${show(key, old)}`)}\n`;
      if (next !== undefined) text += `${colour.green(`+${show(key, next)}`)}\n`;
    }
    return text;
  }

  async #sides(): Promise<[Side, Side]> {
    const session = await this.openSession();
    const [first, second, ...rest] = this.revisions;
    if (rest.length > 0) throw new EnvSyncError('E_USAGE', 'give at most two revisions');
    const revision = async (rev: string): Promise<Side> => {
      try {
        return { name: rev, entries: (await readRevision(session, rev)).entries };
      } catch (error) {
        if (this.showValues || !isEnvSyncError(error, 'E_NOT_RECIPIENT')) throw error;
        const id = await resolveRevision(session.repo, rev);
        const keys = await commitKeys(session, await session.repo.objects.readTyped(id, 'commit'));
        return { name: rev, entries: new Map(keys.map((key) => [key, ''])), namesOnly: true };
      }
    };
    if (second !== undefined) return [await revision(first!), await revision(second)];
    const env = await this.environmentName(session.repo);
    const view = await viewWorkingFile(session, await readExistingEnvironment(session, env));
    const file = { name: view.file.name, entries: view.current ?? new Map<string, string>() };
    if (first !== undefined) return [await revision(first), file];
    const base = view.record?.commit;
    return [{ name: base ? `${env} at ${base.slice(0, 12)} (checked out)` : env, entries: view.base }, file];
  }
}
