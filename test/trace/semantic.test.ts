// Semantic errors print exactly what bpftrace 0.17 prints (recorded in test/fixtures/trace/errors/sem-*.expected).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileScript } from '../../src/trace/compile.js';
import { formatDiagnostic, TraceError } from '../../src/trace/diagnostics.js';
import { kernelTest } from '../helpers/kernel.js';

const dir = fileURLToPath(new URL('../../../test/fixtures/trace/errors/', import.meta.url));
const fixtures = readdirSync(dir).filter((f) => f.startsWith('sem-') && f.endsWith('.bt')).sort();

kernelTest(`semantic errors match bpftrace 0.17 for ${fixtures.length} scripts`, () => {
  assert.ok(fixtures.length >= 30, 'at least 30 semantic error fixtures');
  const mismatches: string[] = [];
  for (const file of fixtures) {
    const source = readFileSync(dir + file, 'utf8');
    const expected = readFileSync(dir + file.replace(/\.bt$/, '.expected'), 'utf8');
    let got = '';
    try {
      compileScript(source, file);
      got = '(compiled without error)\n';
    } catch (err) {
      if (!(err instanceof TraceError)) throw err;
      got = formatDiagnostic(err, source, file);
    }
    if (got !== expected) mismatches.push(`${file}\n--- bpftrace\n${expected}--- bpfkit\n${got}`);
  }
  assert.equal(mismatches.length, 0, mismatches.join('\n'));
});
