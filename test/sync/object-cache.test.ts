import t from 'tap';
import type { ObjectId } from '../../src/store/object-id.ts';
import { ObjectCache } from '../../src/sync/object-cache.ts';

const id = (n: number) => n.toString(16).padStart(64, '0') as ObjectId;

t.test('the cache keeps at most its budget, dropping the least recently used first', async (t) => {
  const cache = new ObjectCache(800);
  for (let n = 0; n < 8; n++) cache.add(id(n), new Uint8Array(100).fill(n));
  t.equal(cache.bytes, 800);
  t.same(cache.get(id(0)), new Uint8Array(100).fill(0), 'a hit returns the bytes (and makes them recent)');
  cache.add(id(8), new Uint8Array(100));
  t.equal(cache.bytes, 800);
  t.equal(cache.get(id(1)), undefined, 'the least recently used went first');
  t.not(cache.get(id(0)), undefined, 'the one just used stayed');
});

t.test('an object above an eighth of the budget is not cached', async (t) => {
  const cache = new ObjectCache(800);
  cache.add(id(1), new Uint8Array(101));
  t.equal(cache.get(id(1)), undefined);
  t.equal(cache.bytes, 0);
});

t.test('a slice of a shared buffer is copied, so the cache never pins the rest of it', async (t) => {
  const cache = new ObjectCache(800);
  const pool = Buffer.alloc(8192, 7);
  cache.add(id(1), pool.subarray(0, 10));
  const kept = cache.get(id(1))!;
  t.equal(kept.buffer.byteLength, 10);
  t.same(Buffer.from(kept), Buffer.alloc(10, 7));
});
