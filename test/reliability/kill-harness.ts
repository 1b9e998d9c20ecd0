// The kill -9 harness: commands that write a repository are SIGKILLed at random points, and after each kill
// the repositories must pass `fsck`, every value committed before must still read back (or, for the command
// that was killed, its value before or after), and the next command must work without any manual repair.
// test/reliability/kill.test.ts runs a short version; bench/kill.ts runs the full one (docs/reliability.md).

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeAgeRecipient } from '../../src/crypto/age-recipient.ts';
import { SigningKey } from '../../src/crypto/ed25519.ts';
import { createJoinRequest } from '../../src/membership/build-event.ts';
import { joinRequestToJson } from '../../src/membership/join-request.ts';
import { openRepository } from '../../src/store/repository.ts';
import { BIN, runCli } from '../helpers/cli.ts';

export const KINDS = [
  'set',
  'import',
  'update-ref',
  'peer approve',
  'peer revoke',
  'fetch',
  'merge',
  'push',
  'clone',
] as const;
export type Kind = (typeof KINDS)[number];

export interface KillReport {
  trials: number;
  /** Trials whose command was killed before it exited (the others ran to completion). */
  kills: number;
  byKind: Record<Kind, { trials: number; kills: number }>;
  /** A repository that fsck failed after the trial. */
  corrupt: string[];
  /** A value committed before the trial that no longer reads back. */
  lost: string[];
  /** A command after the trial that failed (it would have needed a manual repair). */
  repairs: string[];
}

type Peer = 'alice' | 'bob';

interface Outcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/**
 * Runs `trials` trials, each a random command killed after a random delay up to `maxDelayMs`, from a
 * pseudo-random sequence fixed by `seed`.
 */
export async function runKillTrials(options: {
  trials: number;
  seed: number;
  maxDelayMs?: number;
  onTrial?: (index: number, kind: Kind, killed: boolean, report: KillReport) => void;
}): Promise<KillReport> {
  const random = mulberry32(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const root = mkdtempSync(path.join(tmpdir(), 'env-sync-kill-'));
  try {
    const world = await makeWorld(root);
    const report: KillReport = {
      trials: 0,
      kills: 0,
      byKind: Object.fromEntries(
        KINDS.map((kind) => [kind, { trials: 0, kills: 0 }]),
      ) as KillReport['byKind'],
      corrupt: [],
      lost: [],
      repairs: [],
    };
    for (let index = 0; index < options.trials; index++) {
      const chosen = pick(KINDS);
      // A revocation needs an approved peer to revoke: until an approval made one, approve instead.
      const kind = chosen === 'peer revoke' && !world.canRevoke() ? 'peer approve' : chosen;
      const delay = Math.floor(random() * (options.maxDelayMs ?? 400));
      const killed = await world.trial(index, kind, delay, report);
      report.trials += 1;
      report.byKind[kind].trials += 1;
      if (killed) {
        report.kills += 1;
        report.byKind[kind].kills += 1;
      }
      options.onTrial?.(index, kind, killed, report);
    }
    return report;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Alice founds a secure-peer repository `a`; Bob's clone `b` is an approved member; values are tracked. */
async function makeWorld(root: string) {
  const homes = { alice: path.join(root, 'home-alice'), bob: path.join(root, 'home-bob') };
  const dirs = { a: path.join(root, 'a'), b: path.join(root, 'b') };
  const run = (who: Peer, cwd: string, args: string[], input?: string) =>
    runCli(args, { cwd, home: homes[who], timeoutMs: 120_000, ...(input === undefined ? {} : { input }) });
  const must = async (who: Peer, cwd: string, args: string[], input?: string) => {
    const result = await run(who, cwd, args, input);
    if (result.code !== 0) throw new Error(`setting up: env-sync ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  for (const who of ['alice', 'bob'] as const) await must(who, root, ['identity', 'init', '--name', who]);
  mkdirSync(dirs.a);
  await must('alice', dirs.a, ['init']);
  await must('alice', dirs.a, ['set', 'SEED'], 'seed-value');
  await must('bob', root, ['clone', dirs.a, dirs.b]);
  await must('bob', dirs.b, ['peer', 'request', '-o', path.join(root, 'bob.req')]);
  await must('alice', dirs.a, ['peer', 'approve', path.join(root, 'bob.req')]);
  await must('bob', dirs.b, ['pull']);
  const group = (await openRepository(dirs.a)).group;

  /** The values each repository's main must hold: committed ones, and both sides of the killed change. */
  const committed: Record<'a' | 'b', Map<string, string>> = {
    a: new Map([['SEED', 'seed-value']]),
    b: new Map([['SEED', 'seed-value']]),
  };
  /** Keys only Bob's repository changes: a pull leaves them as Bob has them, a push takes them to Alice's. */
  const bobs = (key: string) => key === 'PROBE_B' || key === 'PUSHED';
  /** Approved throwaway peers that a revoke trial may revoke. */
  const revocable: string[] = [];

  const requestFile = (index: number): string => {
    const key = SigningKey.generate();
    const digest = randomBytes(32);
    const request = createJoinRequest(
      key,
      {
        name: `peer-${index}`,
        ageRecipient: encodeAgeRecipient(digest),
        certificateFingerprint: digest.toString('hex'),
      },
      group,
      Math.floor(Date.now() / 1000),
    );
    const file = path.join(root, `req-${index}.json`);
    writeFileSync(file, JSON.stringify(joinRequestToJson(request)));
    return file;
  };

  /** Values of `dir`'s main as export prints them, or null when export fails. */
  const values = async (who: Peer, dir: string): Promise<Map<string, string> | null> => {
    const result = await run(who, dir, ['export', '--format', 'json']);
    if (result.code !== 0) return null;
    return new Map(Object.entries(JSON.parse(result.stdout) as Record<string, string>));
  };

  /** Every committed value reads back; for the keys in `either`, one of the two values given. */
  const checkValues = async (
    label: string,
    who: Peer,
    dir: string,
    expected: Map<string, string>,
    either: Map<string, string>,
    report: KillReport,
  ): Promise<Map<string, string> | null> => {
    const now = await values(who, dir);
    if (now === null) {
      report.lost.push(`${label}: export failed`);
      return null;
    }
    for (const [key, value] of expected) {
      const got = now.get(key);
      if (got !== value && !(either.has(key) && got === either.get(key)))
        report.lost.push(`${label}: ${key} reads ${JSON.stringify(got)}, expected ${JSON.stringify(value)}`);
    }
    return now;
  };

  const checkFsck = async (label: string, who: Peer, dir: string, report: KillReport): Promise<void> => {
    const result = await run(who, dir, ['fsck']);
    if (result.code !== 0)
      report.corrupt.push(
        `${label}: ${(result.stdout + result.stderr)
          .trim()
          .split('\n')
          .filter((line) => line.startsWith('error') || line.startsWith('env-sync'))
          .join('; ')}`,
      );
  };

  /** The next command works: a set, then a get of what it set. */
  const checkNext = async (label: string, who: Peer, dir: string, index: number, report: KillReport) => {
    const value = `probe-${index}`;
    // One probe key per peer: a pull between them merges without a conflict.
    const key = who === 'alice' ? 'PROBE_A' : 'PROBE_B';
    const set = await run(who, dir, ['set', key], value);
    const get = set.code === 0 ? await run(who, dir, ['get', key]) : set;
    if (set.code !== 0 || get.stdout !== `${value}\n`) {
      report.repairs.push(`${label}: the next set failed: ${(set.stderr + get.stderr).trim()}`);
      return;
    }
    committed[dir === dirs.a ? 'a' : 'b'].set(key, value);
  };

  return {
    canRevoke: (): boolean => revocable.length > 0,
    async trial(index: number, kind: Kind, delayMs: number, report: KillReport): Promise<boolean> {
      const label = `#${index} ${kind} (kill after ${delayMs} ms)`;
      const value = `v${index}-${randomBytes(6).toString('hex')}`;
      const after = new Map<string, string>();
      let outcome: Outcome;
      let touched: ['a' | 'b', Peer][] = [['a', 'alice']];
      switch (kind) {
        case 'set': {
          after.set(`KEY_${index % 7}`, value);
          outcome = await killAfter(homes.alice, dirs.a, ['set', `KEY_${index % 7}`], delayMs, value);
          break;
        }
        case 'import': {
          const file = path.join(root, `import-${index}.env`);
          for (const k of [0, 1, 2]) after.set(`IMPORTED_${k}`, `${value}-${k}`);
          writeFileSync(file, [...after].map(([key, v]) => `${key}=${v}\n`).join(''));
          outcome = await killAfter(homes.alice, dirs.a, ['import', file], delayMs);
          break;
        }
        case 'update-ref': {
          const head = (await run('alice', dirs.a, ['rev-parse', 'main'])).stdout.trim();
          outcome = await killAfter(homes.alice, dirs.a, ['update-ref', 'refs/heads/scratch', head], delayMs);
          break;
        }
        case 'peer approve': {
          const file = requestFile(index);
          outcome = await killAfter(homes.alice, dirs.a, ['peer', 'approve', file], delayMs);
          const listed = await run('alice', dirs.a, ['peer', 'list', '--json']);
          if (listed.code === 0) {
            for (const peer of JSON.parse(listed.stdout) as { peerId: string; name: string; state: string }[])
              if (peer.name === `peer-${index}` && peer.state === 'approved') revocable.push(peer.peerId);
          }
          break;
        }
        case 'peer revoke': {
          const target = revocable.shift()!;
          outcome = await killAfter(homes.alice, dirs.a, ['peer', 'revoke', target], delayMs);
          break;
        }
        case 'fetch': {
          touched = [['b', 'bob']];
          outcome = await killAfter(homes.bob, dirs.b, ['fetch', 'origin'], delayMs);
          break;
        }
        case 'merge': {
          touched = [['b', 'bob']];
          const fetched = await run('bob', dirs.b, ['fetch', 'origin']);
          if (fetched.code !== 0)
            report.repairs.push(`${label}: the fetch before the merge failed: ${fetched.stderr.trim()}`);
          for (const [key, v] of committed.a) if (!bobs(key)) after.set(key, v);
          outcome = await killAfter(homes.bob, dirs.b, ['merge', 'origin/main'], delayMs);
          break;
        }
        case 'push': {
          touched = [
            ['a', 'alice'],
            ['b', 'bob'],
          ];
          const pulled = await run('bob', dirs.b, ['pull']);
          if (pulled.code !== 0)
            report.repairs.push(`${label}: the pull before the push failed: ${pulled.stderr.trim()}`);
          else for (const [key, v] of committed.a) if (!bobs(key)) committed.b.set(key, v);
          const set = await run('bob', dirs.b, ['set', 'PUSHED'], value);
          if (set.code === 0) committed.b.set('PUSHED', value);
          after.set('PUSHED', value);
          outcome = await killAfter(homes.bob, dirs.b, ['push', 'origin'], delayMs);
          break;
        }
        case 'clone': {
          const target = path.join(root, `clone-${index}`);
          outcome = await killAfter(homes.bob, root, ['clone', dirs.a, target], delayMs);
          // All or nothing: either a complete clone or no directory, and then a second clone to it works.
          if (outcome.signal === 'SIGKILL' && !existsSync(target)) {
            const again = await run('bob', root, ['clone', dirs.a, target]);
            if (again.code !== 0)
              report.repairs.push(`${label}: cloning again failed: ${again.stderr.trim()}`);
          }
          if (existsSync(target)) await checkFsck(`${label} clone`, 'bob', target, report);
          else report.repairs.push(`${label}: no clone at the target`);
          break;
        }
      }
      const killed = outcome.signal === 'SIGKILL';
      if (!killed && outcome.code !== 0)
        report.repairs.push(`${label}: exited ${outcome.code}: ${outcome.stderr.trim()}`);
      for (const [name, who] of touched) {
        const dir = dirs[name];
        await checkFsck(`${label} ${name}`, who, dir, report);
        const expected = committed[name];
        const now = await checkValues(`${label} ${name}`, who, dir, expected, after, report);
        // The killed change either happened or not: what reads back now is what later trials expect.
        if (now !== null) for (const key of after.keys()) if (now.has(key)) expected.set(key, now.get(key)!);
        if (kind === 'push' && name === 'a' && now !== null)
          for (const [key, v] of now) if (bobs(key)) expected.set(key, v);
        await checkNext(`${label} ${name}`, who, dir, index, report);
      }
      return killed;
    },
  };
}

/** Runs the built CLI as `home` in `cwd`, SIGKILLed after `delayMs` unless it exited first. */
function killAfter(
  home: string,
  cwd: string,
  args: string[],
  delayMs: number,
  input?: string,
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: home, ENV_SYNC_HOME: home },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

/** A small seeded generator, so that a run can be repeated. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
