import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import t from 'tap';
import { parseDotenv, serializeDotenv } from '../../src/dotenv/index.ts';
import { applyChange } from '../../src/model/apply-change.ts';
import { readEnvironment, type Session } from '../../src/model/environment.ts';
import { plainCodec } from '../../src/model/snapshot-codec.ts';
import { checkOutEnvironment, workingFile } from '../../src/model/working-file.ts';
import { importWorkingFile, viewWorkingFile } from '../../src/model/working-file-changes.ts';
import { initRepository } from '../../src/store/repository.ts';

const KEYS = ['A', 'B', 'C', 'D', 'E', 'F'];
const values = fc.stringMatching(/^[a-z0-9]{0,3}$/);
const environment = fc.dictionary(fc.constantFrom(...KEYS), values, { maxKeys: KEYS.length });
/** Per key: untouched (absent), set to a value, or deleted (null). */
const edits = fc.dictionary(fc.constantFrom(...KEYS), fc.option(values), { maxKeys: KEYS.length });

function apply(base: Record<string, string>, changes: Record<string, string | null>): Map<string, string> {
  const out = new Map(Object.entries(base));
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) out.delete(key);
    else out.set(key, value);
  }
  return out;
}

t.test(
  "property: importing the working file never loses a teammate's value nor changes a key nobody touched, and leaves the file at the new head",
  async (t) => {
    const root = mkdtempSync(path.join(tmpdir(), 'env-sync-import-'));
    t.teardown(() => rmSync(root, { recursive: true, force: true }));
    let run = 0;
    await fc.assert(
      fc.asyncProperty(environment, edits, edits, async (base, mine, theirs) => {
        const session: Session = {
          repo: await initRepository(path.join(root, `r${run++}`), { mode: 'dev-plaintext-http' }),
          peerId: 'test-peer',
          codec: plainCodec,
          signCommit: null,
        };
        await applyChange(session, await readEnvironment(session, 'main'), new Map(Object.entries(base)));
        await checkOutEnvironment(session, await readEnvironment(session, 'main'));
        const upstream = apply(base, theirs);
        await applyChange(session, await readEnvironment(session, 'main'), upstream);
        const file = apply(base, mine);
        writeFileSync(workingFile(session.repo).path, serializeDotenv(file));

        const view = await viewWorkingFile(session, await readEnvironment(session, 'main'));
        const outcome = await importWorkingFile(session, view, () => undefined, {}).catch((error) => error);
        const after = (await readEnvironment(session, 'main')).entries;
        const conflicts = KEYS.filter(
          (key) =>
            file.get(key) !== base[key] &&
            upstream.get(key) !== base[key] &&
            file.get(key) !== upstream.get(key),
        );
        if (conflicts.length > 0) {
          // Refused, naming the keys, with nothing committed.
          return (
            outcome?.code === 'E_MERGE_CONFLICT' &&
            conflicts.every((key) => outcome.message.includes(key)) &&
            KEYS.every((key) => after.get(key) === upstream.get(key))
          );
        }
        const written = parseDotenv(readFileSync(workingFile(session.repo).path));
        if (!isDeepStrictEqual(written, after)) return false;
        return KEYS.every((key) => {
          const touchedHere = file.get(key) !== base[key];
          const touchedThere = upstream.get(key) !== base[key];
          const expected = touchedHere ? file.get(key) : touchedThere ? upstream.get(key) : base[key];
          return after.get(key) === expected;
        });
      }),
      { numRuns: 40 },
    );
    t.pass('40 random edit pairs merged');
  },
);
