// `env-sync env list|create|delete`: environments are branches refs/heads/<name>.

import { Command, Option } from 'clipanion';
import { listEnvironments } from '../../model/environment.ts';
import {
  createEnvironment,
  currentEnvironment,
  deleteEnvironment,
} from '../../model/environment-lifecycle.ts';
import { validateComponent } from '../../store/ref-names.ts';
import { EnvSyncCommand } from '../base-command.ts';

export class EnvListCommand extends EnvSyncCommand {
  static override paths = [['env', 'list']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: 'list environments',
    details: `
      Prints one environment per line, sorted; the current one (set by \`env-sync checkout\`) is marked
      with \`*\`, as \`git branch\` marks the current branch. An environment is a branch \`refs/heads/<name>\`;
      \`main\` appears once it has its first commit. \`--json\` prints an array of
      \`{name, head, checkedOut}\`.
    `,
    examples: [
      ['List environments', '$0 env list'],
      ['As JSON', '$0 env list --json'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'print JSON' });

  async execute(): Promise<number> {
    const repo = await this.openRepository();
    const current = await currentEnvironment(repo);
    const names = await listEnvironments(repo);
    if (this.json) {
      const heads = await Promise.all(names.map((name) => repo.refs.read(`refs/heads/${name}`)));
      this.printJson(names.map((name, i) => ({ name, head: heads[i], checkedOut: name === current })));
    } else if (names.length > 0) {
      this.print(names.map((name) => `${name === current ? '*' : ' '} ${name}`).join('\n'));
    }
    return 0;
  }
}

export class EnvCreateCommand extends EnvSyncCommand {
  static override paths = [['env', 'create']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: 'create an environment',
    details: `
      Creates the environment \`<name>\` (a branch \`refs/heads/<name>\`; letters, digits, \`_\`, \`.\`, \`-\`).
      With \`--from <env>\` it starts at the same commit as \`<env>\`, like \`git branch <name> <env>\`, so it
      holds the same keys and values and shares their history; otherwise it starts with a first, empty commit.
      Creating one that exists is an error.
    `,
    examples: [
      ['Create an empty environment', '$0 env create production'],
      ['Start staging as a copy of main', '$0 env create staging --from main'],
    ],
  });

  from = Option.String('--from', { description: 'start from this environment' });
  name = Option.String({ name: 'name' });

  async execute(): Promise<number> {
    const name = validateComponent(this.name, 'environment');
    const session = await this.openSession();
    const head = await createEnvironment(session, name, this.from === undefined ? {} : { from: this.from });
    this.print(
      `Created environment ${name}${this.from === undefined ? '' : ` from ${this.from}`} at ${head.slice(0, 12)}`,
    );
    return 0;
  }
}

export class EnvDeleteCommand extends EnvSyncCommand {
  static override paths = [['env', 'delete']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: 'delete an environment',
    details: `
      Deletes the branch of \`<name>\`. Its commits stay in the object store and the reflog
      (\`.env-sync/logs/refs/heads/<name>\`) records the last head, which is printed so that
      \`env-sync update-ref refs/heads/<name> <id>\` can bring it back. The environment HEAD points to
      (\`main\` by default) cannot be deleted.
    `,
    examples: [['Delete an environment', '$0 env delete preview-42']],
  });

  name = Option.String({ name: 'name' });

  async execute(): Promise<number> {
    const name = validateComponent(this.name, 'environment');
    const head = await deleteEnvironment(await this.openSession(), name);
    this.print(`Deleted environment ${name} (was ${head.slice(0, 12)})`);
    return 0;
  }
}
