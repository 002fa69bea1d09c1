// Error fixtures: malformed scripts with bpftrace 0.17's recorded stderr (test/fixtures/trace/errors/*.expected,
// recorded with `bpftrace -d NAME.bt` run from that directory). Syntax errors must print byte for byte the same;
// `sem-*` fixtures are semantic errors that the parser must accept (the semantic pass reports them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parse, formatDiagnostic, TraceError, ParseError } from '../../src/trace/index.js';

const DIR = join(process.cwd(), 'test/fixtures/trace/errors');
const fixtures = readdirSync(DIR).filter((f) => f.endsWith('.bt')).sort();

/** Fixtures where our output differs from bpftrace's on purpose, with the reason. */
const KNOWN_DIFFERENCES: Record<string, string> = {
  'bad-probe-type.bt': 'bpftrace 0.17 aborts with "FATAL: Invalid probe type made it to attachpoint parser"; we report it',
};

function ours(file: string): string {
  const source = readFileSync(join(DIR, file), 'utf8');
  try {
    parse(source, file);
    return '';
  } catch (e) {
    assert.ok(e instanceof TraceError, `${file}: ${String(e)}`);
    return formatDiagnostic(e, source);
  }
}

const expected = (file: string): string => readFileSync(join(DIR, file.replace(/\.bt$/, '.expected')), 'utf8');

test('at least 35 error fixtures', () => {
  assert.ok(fixtures.filter((f) => !f.startsWith('sem-')).length >= 35);
});

for (const f of fixtures) {
  if (f.startsWith('sem-')) {
    test(`semantic fixture parses (reported later): ${f}`, () => {
      assert.equal(ours(f), '');
      assert.match(expected(f), /ERROR/);
    });
    continue;
  }
  if (f in KNOWN_DIFFERENCES) {
    test(`error differs on purpose: ${f}`, () => {
      const got = ours(f);
      assert.match(got, /^bad-probe-type\.bt:1:1-8: ERROR: Invalid probe type: foo\n/);
    });
    continue;
  }
  test(`same diagnostics as bpftrace 0.17: ${f}`, () => {
    assert.equal(ours(f), expected(f));
  });
}

test('errors are typed ParseErrors with a location, never other exceptions', () => {
  assert.throws(() => parse('BEGIN { printf("x) }'), (e: unknown) => {
    assert.ok(e instanceof ParseError);
    assert.equal(e.diagnostics.length, 2);
    assert.deepEqual([e.loc?.line, e.loc?.column, e.loc?.endColumn], [1, 9, 21]);
    return true;
  });
});

test('no stack traces: every prefix of every fixture and tool either parses or gives a diagnostic', () => {
  const sources = fixtures.map((f) => readFileSync(join(DIR, f), 'utf8'));
  for (const tool of ['/usr/sbin/opensnoop.bt', '/usr/sbin/biolatency.bt', '/usr/sbin/tcplife.bt']) {
    try { sources.push(readFileSync(tool, 'utf8')); } catch { /* tools not installed */ }
  }
  let diagnostics = 0;
  for (const src of sources) {
    for (let n = 0; n <= src.length; n += Math.max(1, Math.floor(src.length / 97))) {
      try {
        parse(src.slice(0, n), 'prefix');
      } catch (e) {
        assert.ok(e instanceof ParseError, `prefix ${n} of ${src.slice(0, 40)}: ${(e as Error).stack}`);
        const text = formatDiagnostic(e, src.slice(0, n));
        assert.match(text, /^prefix:(\d+(:\d+-\d+|-\d+): )?ERROR: /);
        diagnostics++;
      }
    }
  }
  assert.ok(diagnostics > 100);
});

const bpftraceLive = spawnSync('bpftrace', ['--version'], { encoding: 'utf8' }).stdout?.includes('v0.17') &&
  process.getuid?.() === 0;

test('live: bpftrace 0.17 prints the recorded syntax errors', { skip: !bpftraceLive && 'bpftrace 0.17 not runnable as root' }, () => {
  const noise = /RLIMIT_MEMLOCK|available_filter_functions/;
  for (const f of fixtures) {
    if (f.startsWith('sem-') || f in KNOWN_DIFFERENCES) continue;
    const r = spawnSync('bpftrace', ['-d', f], { cwd: DIR, encoding: 'utf8', timeout: 30_000 });
    const live = r.stderr.split('\n').filter((l) => !noise.test(l)).join('\n');
    assert.equal(live, expected(f), f);
    assert.equal(ours(f), live, f);
  }
});
