// Runs every *.vmtest.js beside this file in ONE node process (spawns are ~50x slower under qemu), so the node
// test runner's summary covers the whole VM group and the exit code is its verdict. Started by scripts/test-vm.sh.
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.vmtest.js') && (filters.length === 0 || filters.some((s) => f.includes(s))))
  .sort();
if (files.length === 0) {
  console.error(`test/vm: no *.vmtest.js in ${here} matched ${filters.join(' ') || '(all)'}`);
  process.exit(1);
}
for (const f of files) await import(pathToFileURL(`${here}/${f}`).href);
