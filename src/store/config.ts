// The repository config: a small git-config-style text file (`[section "sub"]`, `key = value`).
// Parsed strictly (errors name the line), written atomically; docs/repository-layout.md#config.

import { EnvSyncError } from '../errors.ts';
import { readFileOrNull, writeFileAtomic } from './fs-atomic.ts';

const MAX_CONFIG_BYTES = 1024 * 1024;
const NAME = /^[A-Za-z][A-Za-z0-9-]*$/;
const SUBSECTION = /^[A-Za-z0-9_][A-Za-z0-9_.:@/+-]*$/;

/** Keys are `section.key` or `section.subsection.key`, like git's. */
export class Config {
  readonly #values = new Map<string, string>();

  static parse(text: string, source = 'config'): Config {
    if (text.length > MAX_CONFIG_BYTES) throw new EnvSyncError('E_CONFIG', `${source}: file is too large`);
    const config = new Config();
    let section: string | null = null;
    for (const [index, raw] of text.split('\n').entries()) {
      const line = raw.trim();
      const where = `${source} line ${index + 1}`;
      if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
      const header = /^\[([A-Za-z][A-Za-z0-9-]*)(?:\s+"([^"\\]*)")?\]$/.exec(line);
      if (header !== null) {
        const [, name, sub] = header;
        if (sub !== undefined && !SUBSECTION.test(sub))
          throw new EnvSyncError('E_CONFIG', `${where}: bad subsection name`);
        section = sub === undefined ? name!.toLowerCase() : `${name!.toLowerCase()}.${sub}`;
        continue;
      }
      const entry = /^([A-Za-z][A-Za-z0-9-]*)\s*=\s*(.*)$/.exec(line);
      if (entry === null || section === null)
        throw new EnvSyncError('E_CONFIG', `${where}: expected "key = value"`);
      config.#values.set(`${section}.${entry[1]!.toLowerCase()}`, parseValue(entry[2]!, where));
    }
    return config;
  }

  static async read(file: string): Promise<Config> {
    const bytes = await readFileOrNull(file);
    if (bytes === null) throw new EnvSyncError('E_CONFIG', `${file} is missing`);
    return Config.parse(bytes.toString('utf8'), file);
  }

  get(key: string): string | undefined {
    return this.#values.get(normalizeKey(key));
  }

  set(key: string, value: string): void {
    if (/[\u0000-\u001f\u007f]/.test(value))
      throw new EnvSyncError('E_CONFIG', `value for ${key} has control characters`);
    this.#values.set(normalizeKey(key), value);
  }

  unset(key: string): boolean {
    return this.#values.delete(normalizeKey(key));
  }

  /** Removes every key of `section.subsection`, e.g. a remote. */
  removeSection(prefix: string): void {
    for (const key of [...this.#values.keys()]) if (key.startsWith(`${prefix}.`)) this.#values.delete(key);
  }

  /** Subsection names of a section: `subsections('remote')` lists the remotes. */
  subsections(section: string): string[] {
    const names = new Set<string>();
    for (const key of this.#values.keys()) {
      const parts = key.split('.');
      if (parts.length === 3 && parts[0] === section) names.add(parts[1]!);
    }
    return [...names].sort();
  }

  entries(): [string, string][] {
    return [...this.#values.entries()];
  }

  serialize(): string {
    const groups = new Map<string, [string, string][]>();
    for (const [key, value] of this.#values) {
      const cut = key.lastIndexOf('.');
      const section = key.slice(0, cut);
      groups.set(section, [...(groups.get(section) ?? []), [key.slice(cut + 1), value]]);
    }
    let out = '';
    for (const [section, pairs] of groups) {
      const dot = section.indexOf('.');
      out += dot < 0 ? `[${section}]\n` : `[${section.slice(0, dot)} "${section.slice(dot + 1)}"]\n`;
      for (const [key, value] of pairs) out += `\t${key} = ${formatValue(value)}\n`;
    }
    return out;
  }

  async write(file: string): Promise<void> {
    await writeFileAtomic(file, this.serialize());
  }
}

function normalizeKey(key: string): string {
  const parts = key.split('.');
  const valid =
    (parts.length === 2 || parts.length === 3) &&
    NAME.test(parts[0]!) &&
    NAME.test(parts.at(-1)!) &&
    (parts.length === 2 || SUBSECTION.test(parts[1]!));
  if (!valid) throw new EnvSyncError('E_CONFIG', `invalid config key ${JSON.stringify(key.slice(0, 80))}`);
  const last = parts.length - 1;
  return parts.map((part, i) => (i === 0 || i === last ? part.toLowerCase() : part)).join('.');
}

function parseValue(text: string, where: string): string {
  if (!text.startsWith('"')) {
    if (/[#;"]/.test(text)) throw new EnvSyncError('E_CONFIG', `${where}: quote values that hold # ; or "`);
    return text.trim();
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'string') return value;
  } catch {}
  throw new EnvSyncError('E_CONFIG', `${where}: malformed quoted value`);
}

function formatValue(value: string): string {
  return value === '' || /^\s|\s$|[#;"\\]/.test(value) ? JSON.stringify(value) : value;
}
