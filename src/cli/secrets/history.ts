// `env-sync history [KEY]`: an environment's commits, newest first, with the keys each changed.

import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { existingEnvironmentHead } from '../../model/environment-lifecycle.ts';
import { readHistory } from '../../model/history.ts';
import { authorNames } from '../../model/readers.ts';
import { checkKeyArgument } from './key-arguments.ts';
import { SecretsCommand } from './secrets-command.ts';

export class HistoryCommand extends SecretsCommand {
  static override paths = [['history']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: "show an environment's commits and the keys each changed",
    details: `
      Lists the commits of the environment newest first: id, author (name and peer id in secure-peer, else
      the peer id), time, message, and the keys the commit added, changed or removed compared with its first
      parent. Values are never shown, not even with \`--json\`. With \`KEY\`, only the commits that touched that
      key. Key names are stored in the clear, so a peer that cannot read some values (pending, or approved
      later) still sees keys added and removed; changed keys are then not shown and the entry says so.

      \`--json\` prints an array of
      \`{id, parents, author, authorName, time, date, message, added, changed, removed, namesOnly}\`
      (\`time\` in seconds since the epoch, \`date\` in ISO 8601).
    `,
    examples: [
      ['Show the history of main', '$0 history'],
      ['When did DATABASE_URL change, and who changed it?', '$0 history DATABASE_URL'],
      ['The last five commits of staging as JSON', '$0 history --env staging -n 5 --json'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'print JSON' });
  maxCount = Option.String('-n,--max-count', {
    description: 'show at most this many commits',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(1)]),
  });
  key = Option.String({ name: 'KEY', required: false });

  async execute(): Promise<number> {
    const key = this.key === undefined ? undefined : checkKeyArgument(this.key, 1);
    const session = await this.openSession();
    const env = await this.environmentName(session.repo);
    const head = await existingEnvironmentHead(session.repo, env);
    const entries = head === null ? [] : await readHistory(session, head, { key, limit: this.maxCount });
    const author = await authorNames(session.repo);
    if (this.json) {
      this.printJson(
        entries.map(({ id, commit, diff, namesOnly }) => ({
          id,
          parents: commit.parents,
          author: commit.author,
          authorName: author(commit.author),
          time: commit.time,
          date: new Date(commit.time * 1000).toISOString(),
          message: commit.message,
          added: diff.added,
          changed: diff.changed,
          removed: diff.removed,
          namesOnly,
        })),
      );
      return 0;
    }
    const blocks = entries.map(({ id, commit, diff, namesOnly }) => {
      const lines = [
        `commit ${id}${commit.parents.length > 1 ? ` (merge of ${commit.parents.map((p) => p.slice(0, 12)).join(' ')})` : ''}`,
        `Author: ${author(commit.author)}`,
        `Date:   ${new Date(commit.time * 1000).toISOString()}`,
        '',
        ...commit.message.split('\n').map((line) => `    ${line}`),
        '',
      ];
      if (diff.added.length > 0) lines.push(`    added:   ${diff.added.join(', ')}`);
      if (diff.changed.length > 0) lines.push(`    changed: ${diff.changed.join(', ')}`);
      if (diff.removed.length > 0) lines.push(`    removed: ${diff.removed.join(', ')}`);
      if (namesOnly) lines.push('    (values sealed before you could read them: changed keys not shown)');
      return lines.join('\n');
    });
    if (blocks.length > 0) this.print(blocks.join('\n\n'));
    return 0;
  }
}
