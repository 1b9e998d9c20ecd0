// The `cat-file -p` text of each object type: git-like headers, snapshot values masked unless asked for.

import type { StoredObject } from '../../store/objects.ts';

export const MASK = '********';

export function prettyObject(object: StoredObject, showValues: boolean): string {
  switch (object.type) {
    case 'snapshot':
      if (object.encoding === 'age') {
        const recipients = object.recipients.map((r) => `recipient ${r}\n`).join('');
        return `encoding age\n${recipients}payload ${object.payload.length} bytes\n\n${object.keys.map((k) => `${k}\n`).join('')}`;
      }
      return `encoding plain\n\n${[...object.entries]
        .map(([k, v]) => `${k}\t${showValues ? JSON.stringify(v) : MASK}\n`)
        .join('')}`;
    case 'commit':
      return (
        `snapshot ${object.snapshot}\n` +
        object.parents.map((p) => `parent ${p}\n`).join('') +
        `author ${object.author} ${object.time}\n` +
        (object.members === null ? '' : `members ${object.members}\n`) +
        `\n${object.message}${object.message.endsWith('\n') ? '' : '\n'}`
      );
    case 'event':
      return (
        `group ${object.group ?? '(genesis)'}\nseq ${object.seq}\nprev ${object.prev ?? '(none)'}\n` +
        `time ${object.time}\nactor ${Buffer.from(object.actor).toString('hex')}\nkind ${object.kind}\n` +
        `subject ${JSON.stringify(object.subject.map((f) => (f instanceof Uint8Array ? Buffer.from(f).toString('hex') : f)))}\n` +
        `signature ${Buffer.from(object.signature).toString('hex')}\n`
      );
  }
}
