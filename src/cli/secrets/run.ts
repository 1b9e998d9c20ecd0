// `env-sync run -- CMD …`: run a command with an environment's variables, writing no file.

import { Command, Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import { readExistingEnvironment } from '../../model/environment-lifecycle.ts';
import { answerExecPlan, EXEC_PLAN_VARIABLE, execPlanDescriptor, shellExecPlan } from './exec-plan.ts';
import { SecretsCommand } from './secrets-command.ts';

export class RunCommand extends SecretsCommand {
  static override paths = [['run']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: "run a command with an environment's variables",
    details: `
      Runs \`CMD\` with the environment's keys as variables, laid over the current process environment (a key
      of the environment wins over a variable of the same name). No file is written. Put \`--\` before the
      command so its own options are not read as env-sync's.

      Started as the \`env-sync\` command, env-sync replaces itself with the command (the shell's \`exec\`), so
      signals reach the command directly and its exit status is its own. Where a shell cannot set the
      variables exactly (a key with \`.\` or \`-\`, or a name a shell holds read-only), and when started as
      \`node bin/env-sync.js\`, env-sync runs the command as a child instead: signals it receives (INT, TERM,
      HUP, QUIT, USR1, USR2, WINCH) are forwarded, and it exits with the command's exit code, or with 128 +
      the signal number when a signal ended it, as shells do. A command that cannot be found exits 127; one
      that cannot be executed, 126.
    `,
    examples: [
      ['Start the app with main', '$0 run -- npm start'],
      ['Run the tests against staging', '$0 run --env staging -- npm test'],
      ['Use a variable in a shell command', '$0 run -- sh -c \'psql "$DATABASE_URL"\''],
    ],
  });

  command = Option.Proxy({ required: 1, name: 'CMD' });

  async execute(): Promise<number> {
    const args = this.command[0] === '--' ? this.command.slice(1) : this.command;
    if (args.length === 0) throw new EnvSyncError('E_USAGE', 'give the command to run after --');
    const state = await readExistingEnvironment(await this.openSession(), this.env);
    const planFd = execPlanDescriptor(process.env);
    if (planFd !== undefined) {
      const plan = shellExecPlan(state.entries, args);
      answerExecPlan(planFd, plan);
      if (plan !== undefined) return 0;
    }
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env[EXEC_PLAN_VARIABLE];
    for (const [key, value] of state.entries) env[key] = value;
    // Loaded only here: child_process (and net, which it loads) costs ≈ 5 ms that an exec plan does not need.
    const { runChild } = await import('./run-child.ts');
    return runChild(args[0]!, args.slice(1), env);
  }
}
