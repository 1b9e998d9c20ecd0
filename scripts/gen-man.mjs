// Writes man/*.1 from the built CLI's command definitions (run `npm run build` first; `npm run man` does both),
// and lists them in package.json's `man`, so a global install puts them where `man` looks.

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { allCommands, buildCli, renderManPages, VERSION } from '../dist/main.cjs';

const dir = new URL('../man/', import.meta.url);
mkdirSync(dir, { recursive: true });
for (const file of readdirSync(dir)) if (file.endsWith('.1')) rmSync(new URL(file, dir));
const commands = await allCommands();
const pages = renderManPages(buildCli(commands), commands, VERSION);
for (const [name, text] of pages) writeFileSync(new URL(name, dir), text);

const packageFile = new URL('../package.json', import.meta.url);
const manifest = JSON.parse(readFileSync(packageFile, 'utf8'));
manifest.man = [...pages.keys()].sort().map((name) => `man/${name}`);
writeFileSync(packageFile, `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`wrote ${pages.size} man pages to man/`);
