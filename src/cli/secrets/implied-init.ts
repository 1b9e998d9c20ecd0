// The first `set` or `import` outside any repository creates one in the current directory, in the default
// mode, as `env-sync init` would, and says so on stderr: one command fewer to start (docs/cli.md).

import { Writable } from 'node:stream';
import { Cli } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import type { EnvSyncContext } from '../base-command.ts';

/** Runs `env-sync init` here; its report goes to stderr, as a notice; its failure is this command's. */
export async function initRepositoryHere(context: EnvSyncContext, command: string): Promise<void> {
  const { InitCommand } = await import('../porcelain/init.ts');
  const cli = new Cli<EnvSyncContext>({ binaryName: 'env-sync', enableColors: false });
  cli.register(InitCommand);
  let report = '';
  const collect = new Writable({
    write(chunk, _encoding, done) {
      report += String(chunk);
      done();
    },
  });
  const quiet = { ...context, stdout: collect, stderr: collect };
  const init = cli.process(['init'], quiet) as InstanceType<typeof InitCommand>;
  await cli.run(init, quiet);
  if (init.failure !== null) {
    const why = report.split('\n').find((line) => line.startsWith('env-sync: ')) ?? 'env-sync: init failed';
    throw new EnvSyncError(
      'E_NOT_A_REPOSITORY',
      `no repository here and none could be made: ${why.slice(10)}`,
      {
        exitCode: init.failure.exitCode,
      },
    );
  }
  const lines = report.trimEnd().split('\n');
  context.stderr.write(
    `${lines.map((line) => (line.startsWith('env-sync: ') ? line : `env-sync: ${line}`)).join('\n')}\n` +
      `env-sync: no repository was here, so '${command}' made one ('env-sync init --mode <mode>' first picks another mode)\n`,
  );
}
