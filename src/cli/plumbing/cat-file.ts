// `env-sync cat-file`: show an object's type, size, pretty form, JSON form or exact bytes.

import { Command, Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import { objectToJson } from '../../store/object-json.ts';
import { decodeObject, type StoredObject } from '../../store/objects.ts';
import { resolveRevision } from '../../store/revision.ts';
import { EnvSyncCommand } from '../base-command.ts';
import { prettyObject } from './object-pretty.ts';

export class CatFileCommand extends EnvSyncCommand {
  static override paths = [['cat-file']];
  static override usage = Command.Usage({
    category: 'Plumbing',
    description: 'show the type, size or content of an object',
    details: `
      Exactly one of \`-t\` (type), \`-s\` (size of the stored bytes), \`-p\` (pretty text), \`--json\` (the JSON
      form that \`hash-object --json\` reads back) \`--raw\` (the exact stored bytes) or \`--age\` (the standard age file inside an encrypted snapshot, which
      \`age -d -i <ageIdentityFile>\` decrypts; a commit stands for its snapshot). Snapshot values are
      masked in \`-p\` and \`--json\` output unless \`--show-values\` is given; a masked JSON document cannot be
      hashed back into an object. \`--raw\` of a plaintext snapshot, whose bytes are its values, is refused
      without \`--show-values\`.
    `,
    examples: [
      ['Show the type of the current commit', '$0 cat-file -t HEAD'],
      ['Show a commit in readable form', '$0 cat-file -p main~1'],
      [
        'Round-trip an object through JSON',
        '$0 cat-file --json --show-values HEAD | $0 hash-object --json --stdin',
      ],
    ],
  });

  type = Option.Boolean('-t', false, { description: 'print the object type' });
  size = Option.Boolean('-s', false, { description: 'print the size of the stored bytes' });
  pretty = Option.Boolean('-p', false, { description: 'pretty-print the object' });
  json = Option.Boolean('--json', false, { description: 'print the JSON form of the object' });
  raw = Option.Boolean('--raw', false, { description: 'write the exact stored bytes' });
  age = Option.Boolean('--age', false, {
    description: "write the age payload of an encrypted snapshot (or of a commit's snapshot), as stored",
  });
  showValues = Option.Boolean('--show-values', false, {
    description: 'show snapshot values instead of masking them',
  });
  revision = Option.String({ name: 'rev' });

  async execute(): Promise<number> {
    const modes = [this.type, this.size, this.pretty, this.json, this.raw, this.age].filter(Boolean).length;
    if (modes !== 1)
      throw new EnvSyncError('E_USAGE', 'give exactly one of -t, -s, -p, --json, --raw or --age');
    const repo = await this.openRepository();
    const id = await resolveRevision(repo, this.revision);
    if (this.age) {
      let object = await repo.objects.read(id);
      if (object.type === 'commit') object = await repo.objects.readTyped(object.snapshot, 'snapshot');
      if (object.type !== 'snapshot' || object.encoding !== 'age') {
        throw new EnvSyncError(
          'E_OBJECT_TYPE',
          `'${this.revision}' is not an encrypted snapshot (or a commit of one)`,
        );
      }
      this.context.stdout.write(object.payload);
      return 0;
    }
    const bytes = await repo.objects.readRaw(id);
    if (this.raw) {
      // The stored bytes of a plaintext snapshot are its values: shown only when asked for, as in -p.
      if (!this.showValues && isPlainSnapshot(decodeObject(bytes, `object ${id.slice(0, 12)}`))) {
        throw new EnvSyncError(
          'E_USAGE',
          `'${this.revision}' is a plaintext snapshot: its raw bytes hold the values; add --show-values to write them`,
        );
      }
      this.context.stdout.write(bytes);
      return 0;
    }
    if (this.size) {
      this.print(String(bytes.length));
      return 0;
    }
    const object = decodeObject(bytes, `object ${id.slice(0, 12)}`);
    if (this.type) this.print(object.type);
    else if (this.json) this.printJson(objectToJson(object, { showValues: this.showValues }));
    else this.context.stdout.write(prettyObject(object, this.showValues));
    return 0;
  }
}

function isPlainSnapshot(object: StoredObject): boolean {
  return object.type === 'snapshot' && object.encoding === 'plain';
}
