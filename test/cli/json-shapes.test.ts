import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { ROOT } from '../helpers/cli.ts';
import { makeCliRepo } from '../store/cli-repo.ts';

const home = `${t.testdir()}/home`;

/** docs/cli.md's examples, by command line: the JSON block after each "### `env-sync … --json`". */
function documentedShapes(): Map<string, unknown> {
  const text = readFileSync(path.join(ROOT, 'docs/cli.md'), 'utf8');
  const shapes = new Map<string, unknown>();
  for (const [, command, json] of text.matchAll(
    /^### `env-sync ([^`]+) --json`\n[\s\S]*?```json\n([\s\S]*?)```/gm,
  ))
    shapes.set(command!, JSON.parse(json!));
  return shapes;
}

/**
 * Where `actual` departs from `documented`: the same fields at every level, the same types (null stands for
 * any), arrays compared element by element with the documented ones (the last repeating).
 */
function shapeDifferences(documented: unknown, actual: unknown, at = '$'): string[] {
  if (documented === null || actual === null) return [];
  if (Array.isArray(documented) !== Array.isArray(actual) || typeof documented !== typeof actual)
    return [`${at}: ${JSON.stringify(actual)} is not like ${JSON.stringify(documented)}`];
  if (Array.isArray(documented) && Array.isArray(actual)) {
    if (documented.length === 0) return [];
    return actual.flatMap((item, i) =>
      shapeDifferences(documented[Math.min(i, documented.length - 1)], item, `${at}[${i}]`),
    );
  }
  if (typeof documented !== 'object') return [];
  const want = Object.keys(documented as object).sort();
  const got = Object.keys(actual as object).sort();
  if (want.join() !== got.join()) return [`${at}: fields ${got.join(', ')}, documented ${want.join(', ')}`];
  return want.flatMap((key) =>
    shapeDifferences(
      (documented as Record<string, unknown>)[key],
      (actual as Record<string, unknown>)[key],
      `${at}.${key}`,
    ),
  );
}

const COMMANDS = [
  'status',
  'diff',
  'get',
  'list',
  'history',
  'log',
  'env list',
  'remote list',
  'peer list',
  'identity show',
];

t.test('docs/cli.md documents the JSON of every command a script parses', async (t) => {
  t.same([...documentedShapes().keys()].sort(), [...COMMANDS].sort());
});

t.test('each command prints JSON of the documented shape', async (t) => {
  const shapes = documentedShapes();
  const plain = await makeCliRepo(t, home);
  await plain.ok(t, ['set', 'DATABASE_URL'], { input: 'postgres://u@db/app\n' });
  await plain.ok(t, ['set', 'PORT'], { input: '8080\n' });
  await plain.ok(t, ['checkout']);
  writeFileSync(path.join(plain.cwd, '.env'), 'PORT=9090\nAPI_KEY=abc\n');
  await plain.ok(t, ['remote', 'add', 'origin', '/nowhere']);
  const runs: [string, string[]][] = [
    ['status', ['status', '--json']],
    ['diff', ['diff', '--show-values', '--json']],
    ['get', ['get', 'PORT', '--json']],
    ['list', ['list', '--json']],
    ['history', ['history', '-n1', '--json']],
    ['env list', ['env', 'list', '--json']],
    ['remote list', ['remote', 'list', '--json']],
  ];
  for (const [name, args] of runs) {
    const output = JSON.parse(await plain.ok(t, args));
    t.same(shapeDifferences(shapes.get(name), output), [], `env-sync ${args.join(' ')}`);
  }
  const secure = await makeCliRepo(t, `${home}-secure`, 'secure-peer');
  for (const name of ['log', 'peer list', 'identity show']) {
    const output = JSON.parse(await secure.ok(t, [...name.split(' '), '--json']));
    t.same(shapeDifferences(shapes.get(name), output), [], `env-sync ${name} --json`);
  }
});

t.test('the shape check catches a missing field, an extra one and a changed type', async (t) => {
  const documented = { a: 1, b: [{ c: 'x' }], d: null };
  t.same(shapeDifferences(documented, { a: 2, b: [{ c: 'y' }, { c: 'z' }], d: 'any' }), []);
  t.equal(shapeDifferences(documented, { a: 2, b: [] }).length, 1, 'missing d');
  t.equal(shapeDifferences(documented, { a: 2, b: [], d: 1, e: 0 }).length, 1, 'extra e');
  t.equal(shapeDifferences(documented, { a: '2', b: [], d: 1 }).length, 1, 'a string for a number');
  t.equal(shapeDifferences(documented, { a: 2, b: [{}], d: 1 }).length, 1, 'a field missing in an element');
});
