// The exec plan `run` hands to bin/env-sync.js's shell lines: evaluated by a real /bin/sh, it must give the
// command exactly the variables and arguments Node's spawn would, or not be made at all.

import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import t from 'tap';
import { execPlanDescriptor, shellExecPlan } from '../../src/cli/secrets/exec-plan.ts';
import { entriesOf, hostileValue, shellKeyName } from '../dotenv/arbitraries.ts';

const node = process.execPath;
/** What the exec'd command reports: the test's variables and its own arguments. */
const REPORT =
  'process.stdout.write(JSON.stringify([Object.entries(process.env).filter(([k]) => k.startsWith("T_")), process.argv.slice(1)]))';
/** What sh and an OS environment can hold: no NUL (refused apart), no lone surrogate (not UTF-8). */
const holdable = hostileValue.filter((s) => !/[\uD800-\uDFFF]/u.test(s));

function evaluate(plan: string) {
  const result = spawnSync('/bin/sh', ['-c', 'eval "$1"', 'sh', plan], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

t.test('sh evaluates the plan into the command with exactly the variables and arguments', async (t) => {
  fc.assert(
    fc.property(entriesOf(shellKeyName, holdable), fc.array(holdable, { maxLength: 4 }), (entries, extra) => {
      const plan = shellExecPlan(entries, [node, '-e', REPORT, '--', ...extra]);
      if (plan === undefined) throw new Error('no plan for shell names and values');
      const { code, stdout, stderr } = evaluate(plan);
      if (code !== 0) throw new Error(`sh exited ${code}: ${stderr}`);
      const [variables, argv] = JSON.parse(stdout) as [[string, string][], string[]];
      t.same(new Map(variables), entries);
      t.same(argv, extra);
    }),
    { numRuns: 25 },
  );
});

t.test('no plan where a shell could not do what spawn does', async (t) => {
  const one = (key: string, value = 'v') => new Map([[key, value]]);
  t.equal(shellExecPlan(one('DOTTED.NAME'), ['true']), undefined, 'a key with a dot');
  t.equal(shellExecPlan(one('DASHED-NAME'), ['true']), undefined, 'a key with a dash');
  for (const readOnly of ['PPID', 'UID', 'EUID', 'SHELLOPTS', 'BASHOPTS', 'BASH_VERSINFO']) {
    t.equal(shellExecPlan(one(readOnly), ['true']), undefined, `${readOnly}, read-only in bash`);
  }
  t.equal(shellExecPlan(one('A', 'x\0y'), ['true']), undefined, 'a NUL in a value');
  t.equal(shellExecPlan(one('A'), ['printf', 'a\0b']), undefined, 'a NUL in an argument');
  t.equal(shellExecPlan(one('A'), ['-x']), undefined, 'a command name exec would take for an option');
  t.equal(shellExecPlan(one('A'), []), undefined, 'no command');
  t.type(shellExecPlan(one('A'), ['true']), 'string');
});

t.test('a command sh cannot find: 127 and the message Node would print, quotes and all', async (t) => {
  const result = evaluate(shellExecPlan(new Map(), ["no such 'command'"])!);
  t.equal(result.code, 127);
  t.equal(result.stderr, "env-sync: cannot run 'no such 'command'': command not found\n");
  t.equal(result.stdout, '');
});

t.test('the plan descriptor is asked for only by the exact variable', async (t) => {
  t.equal(execPlanDescriptor({ ENV_SYNC_EXEC_PLAN_FD: '3' }), 3);
  t.equal(execPlanDescriptor({ ENV_SYNC_EXEC_PLAN_FD: '1' }), undefined, 'never stdout');
  t.equal(execPlanDescriptor({}), undefined);
});
