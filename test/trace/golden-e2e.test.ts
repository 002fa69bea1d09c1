// The whole pipeline (compile → load → BEGIN/END → ring buffer → exit output) prints byte for byte what
// bpftrace 0.17 printed for the same scripts (stored beside them by test/fixtures/trace-output/golden.ts).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { kernelTest } from '../helpers/kernel.js';

const dir = fileURLToPath(new URL('../../../test/fixtures/trace-output/', import.meta.url));
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
/** Scripts using functions beyond the core language of this issue. */
const beyondCore = new Map([['printf-buffers.bt', 'buf() is not implemented yet']]);
const scripts = readdirSync(dir).filter((f) => f.endsWith('.bt') && !beyondCore.has(f)).sort();

function run(args: string[]): string {
  return execFileSync(process.execPath, [cli, 'trace', ...args], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

for (const format of ['text', 'json'] as const) {
  kernelTest(`bpfkit trace prints bpftrace 0.17's ${format} output for ${scripts.length} deterministic scripts`, { timeout: 120_000 }, () => {
    assert.ok(scripts.length >= 25);
    const diffs: string[] = [];
    for (const script of scripts) {
      const expected = readFileSync(dir + script.replace(/\.bt$/, format === 'text' ? '.txt' : '.json'), 'utf8');
      const got = run(format === 'text' ? [dir + script] : ['-f', 'json', dir + script]);
      if (got !== expected) diffs.push(`${script}\n--- bpftrace 0.17\n${expected}\n--- bpfkit\n${got}`);
    }
    assert.equal(diffs.length, 0, diffs.join('\n'));
  });
}
