// `env-sync hash-object`: validate an object (msgpack bytes, or its JSON form), print its id, store it with -w.

import { Command, Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import { MAX_OBJECT_BYTES } from '../../store/limits.ts';
import { hashObjectBytes } from '../../store/object-id.ts';
import { objectFromJson } from '../../store/object-json.ts';
import { decodeObject, encodeObject } from '../../store/objects.ts';
import { EnvSyncCommand } from '../base-command.ts';
import { readAllBounded, readFileBounded } from '../io.ts';

export class HashObjectCommand extends EnvSyncCommand {
  static override paths = [['hash-object']];
  static override usage = Command.Usage({
    category: 'Plumbing',
    description: 'compute an object id and optionally store the object',
    details: `
      Reads one object, from \`<file>\` or from standard input with \`--stdin\`, checks that it is a valid
      object in canonical encoding and prints its id (the hex SHA-256 of its canonical bytes) on one line.
      With \`--json\` the input is the JSON form printed by \`cat-file --json\`. Invalid or non-canonical input
      is refused and nothing is stored. With \`-w\` the object is written to the object database.
    `,
    examples: [
      ['Round-trip an object through its raw bytes', '$0 cat-file --raw HEAD | $0 hash-object --stdin'],
      ['Store an object given in JSON form', '$0 hash-object -w --json --stdin < commit.json'],
    ],
  });

  write = Option.Boolean('-w', false, { description: 'write the object into the object database' });
  json = Option.Boolean('--json', false, { description: 'input is the JSON form of an object' });
  stdin = Option.Boolean('--stdin', false, { description: 'read the object from standard input' });
  file = Option.String({ required: false, name: 'file' });

  async execute(): Promise<number> {
    if (this.stdin === (this.file !== undefined)) {
      throw new EnvSyncError('E_USAGE', 'give exactly one of --stdin or <file>');
    }
    const limit = this.json ? MAX_OBJECT_BYTES * 2 : MAX_OBJECT_BYTES;
    const input =
      this.file !== undefined
        ? await readFileBounded(this.file, limit)
        : await readAllBounded(this.context.stdin, limit, 'standard input');
    const what = this.file ?? 'standard input';
    const bytes = this.json ? encodeObject(objectFromJson(parseJson(input, what))) : input;
    if (!this.json) decodeObject(bytes, what);
    if (this.write) {
      const repo = await this.openRepository();
      const object = decodeObject(bytes, what);
      if (repo.mode === 'secure-peer' && object.type === 'snapshot' && object.encoding === 'plain') {
        throw new EnvSyncError(
          'E_MODE',
          'secure-peer stores only encrypted snapshots; refusing a plaintext one',
        );
      }
      const { id } = await repo.objects.writeRaw(bytes);
      this.print(id);
    } else {
      this.print(hashObjectBytes(bytes));
    }
    return 0;
  }
}

function parseJson(input: Buffer, what: string): unknown {
  try {
    return JSON.parse(input.toString('utf8'));
  } catch {
    throw new EnvSyncError('E_OBJECT_CORRUPT', `${what}: not valid JSON`);
  }
}
