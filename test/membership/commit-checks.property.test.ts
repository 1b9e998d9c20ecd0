// Property: the registry the commit checks use for "approved at the event this commit names" is the tree's own
// registry after that event, along its own branch, whatever the order commits name events in (a clone's are
// newest first) and however the chain forks.

import fc from 'fast-check';
import t from 'tap';
import { CommitChecks } from '../../src/membership/commit-authorization.ts';
import type { HeldEvent } from '../../src/membership/event-format.ts';
import type { Repository } from '../../src/store/repository.ts';
import { actor, add, approve, draft, newGroup, revoke } from './model-helpers.ts';

const founder = actor('founder');
const others = ['p1', 'p2', 'p3', 'p4'].map(actor);

type Step = { kind: 'approve' | 'revoke' | 'rename'; who: number; back: number };
const step: fc.Arbitrary<Step> = fc.record({
  kind: fc.constantFrom('approve', 'revoke', 'rename'),
  who: fc.nat({ max: others.length - 1 }),
  // Built that many events below the tip of the branch it extends: 0 extends, more forks.
  back: fc.oneof(fc.constant(0), fc.constant(0), fc.nat({ max: 3 })),
});

t.test('stateAfter equals the tree registry after the event, for any question order', async () => {
  await fc.assert(
    fc.property(fc.array(step, { minLength: 1, maxLength: 90 }), fc.integer(), (steps, seed) => {
      const tree = newGroup(founder);
      const held: HeldEvent[] = [tree.genesis];
      for (const [k, { kind, who, back }] of steps.entries()) {
        const parent = held[Math.max(0, held.length - 1 - back)]!;
        try {
          const added =
            kind === 'approve'
              ? approve(tree, founder, others[who]!, 'member', parent)
              : kind === 'revoke'
                ? revoke(tree, founder, others[who]!, parent)
                : add(
                    tree,
                    draft(tree, founder, { kind: 'rename', name: `founder ${k}` }, undefined, parent),
                  );
          if (added) held.push(added);
        } catch {
          // not valid on that branch (approving a member twice, revoking a stranger): the next step
        }
      }
      // Every event, in an order drawn from the seed, asked twice over.
      const ids = tree.all().map((event) => event.id);
      let state = seed;
      const order = [...ids, ...ids].sort(() => {
        state = (state * 1_103_515_245 + 12_345) | 0;
        return state & 1 ? 1 : -1;
      });
      const checks = new CommitChecks(undefined as unknown as Repository, tree);
      for (const id of order) {
        const got = JSON.stringify(checks.stateAfter(id).snapshot());
        if (got !== JSON.stringify(tree.stateAfter(id).snapshot())) return false;
      }
      return true;
    }),
    { numRuns: 60 },
  );
});
