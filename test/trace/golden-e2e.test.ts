// The whole pipeline (compile → load → BEGIN/END → ring buffer → exit output) prints byte for byte what
// bpftrace 0.17 printed for the same scripts (stored beside them: trace-output/ by its golden.ts, trace-lang/ by
// running bpftrace 0.17 on each script, with the positional parameters in NAME.args).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { kernelTest } from '../helpers/kernel.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
/** Scripts using functions beyond the core language of this issue. */
const beyondCore = new Map([['printf-buffers.bt', 'buf() is not implemented yet']]);

function scriptsIn(dir: string): string[] {
  return readdirSync(fixtures + dir).filter((f) => f.endsWith('.bt') && !beyondCore.has(f)).sort().map((f) => `${fixtures}${dir}/${f}`);
}

function run(args: string[]): string {
  return execFileSync(process.execPath, [cli, 'trace', ...args], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

function compare(scripts: string[], format: 'text' | 'json'): void {
  const diffs: string[] = [];
  for (const script of scripts) {
    const expected = readFileSync(script.replace(/\.bt$/, format === 'text' ? '.txt' : '.json'), 'utf8');
    const argsFile = script.replace(/\.bt$/, '.args');
    const positional = existsSync(argsFile) ? readFileSync(argsFile, 'utf8').trim().split(/\s+/) : [];
    const got = run([...(format === 'json' ? ['-f', 'json'] : []), script, ...positional]);
    if (got !== expected) diffs.push(`${script}\n--- bpftrace 0.17\n${expected}\n--- bpfkit\n${got}`);
  }
  assert.equal(diffs.length, 0, diffs.join('\n'));
}

const output = scriptsIn('trace-output');
const language = scriptsIn('trace-lang');

for (const format of ['text', 'json'] as const) {
  kernelTest(`bpfkit trace prints bpftrace 0.17's ${format} output for ${output.length} output-format scripts`, { timeout: 120_000 }, () => {
    assert.ok(output.length >= 25);
    compare(output, format);
  });
}

kernelTest(`bpfkit trace runs ${language.length} language-feature scripts with bpftrace 0.17's output`, { timeout: 120_000 }, () => {
  assert.ok(language.length >= 10);
  compare(language, 'text');
});
