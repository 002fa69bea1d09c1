// `bpfkit trace` as a command: flags, errors and exit codes, side by side with bpftrace 0.17 where it is installed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { kernelTest, skipOrFail } from '../helpers/kernel.js';
import { bpfkitTrace, bpftrace, bpftraceAvailable, MAIN } from './cli-helpers.js';

const BAD_SCRIPTS = [
  'BEGIN { foo(); }',
  'BEGIN { printf("%d\\n"); }',
  'tracepoint:nope:nope { }',
  'BEGIN { @x = 1; @x = "a"; }',
  'BEGIN { "unterminated }',
];

kernelTest('bad scripts: the diagnostics bpftrace prints, exit 1, nothing loaded', async (t) => {
  for (const script of BAD_SCRIPTS) {
    const ours = await bpfkitTrace(['-e', script]);
    assert.equal(ours.code, 1, script);
    assert.equal(ours.stdout, '', script);
    assert.match(ours.stderr, /^stdin:1:\d+-\d+: ERROR: /, script);
    assert.doesNotMatch(ours.stderr, /\n\s+at /, 'no stack trace');
    if (bpftraceAvailable()) assert.equal(ours.stderr, (await bpftrace(['-e', script])).stderr, script);
  }
  if (!bpftraceAvailable()) skipOrFail(t, 'bpftrace 0.17 not installed: compared only the shape');
});

kernelTest('BEGIN-only scripts print byte for byte what bpftrace prints (text, json, -q)', async (t) => {
  if (!bpftraceAvailable()) return skipOrFail(t, 'needs bpftrace 0.17');
  const script = 'BEGIN { printf("hi %d %s|%5d|%-4s|\\n", 5, "x", 42, "ab"); @a[1] = 2; @s = sum(5); @c["k"] = count(); exit(); }';
  for (const flags of [[], ['-f', 'json'], ['-q']]) {
    const args = [...flags, '-e', script];
    const [ours, theirs] = await Promise.all([bpfkitTrace(args), bpftrace(args)]);
    assert.equal(ours.code, 0, ours.stderr);
    assert.equal(ours.stdout, theirs.stdout, flags.join(' '));
  }
});

kernelTest('a script file with positional parameters, and -o FILE', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-trace-cli-'));
  try {
    const file = join(dir, 'hello.bt');
    writeFileSync(file, 'BEGIN { printf("%s and %d\\n", str($1), $2); exit(); }\n');
    const out = join(dir, 'out.txt');
    const r = await bpfkitTrace(['-o', out, file, 'first', '7']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(readFileSync(out, 'utf8'), 'Attaching 1 probe...\nfirst and 7\n\n\n');
    const missing = await bpfkitTrace([join(dir, 'missing.bt')]);
    assert.equal(missing.code, 255);
    assert.match(missing.stderr, /^ERROR: failed to open file '.*missing\.bt': No such file or directory\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

kernelTest('Ctrl-C (SIGINT) detaches, runs END, prints every map and exits 0', { timeout: 30000 }, async () => {
  const script = 'BEGIN { @b = 5; } tracepoint:syscalls:sys_enter_getppid { @c = count(); } END { printf("end\\n"); }';
  const child = spawn(process.execPath, [MAIN, 'trace', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, __BPFTRACE_NOTIFY_PROBES_ATTACHED: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  const attached = new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => {
    stderr += d;
    if (stderr.includes('__BPFTRACE_NOTIFY_PROBES_ATTACHED\n')) resolve();
  }));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await attached;
  const t0 = performance.now();
  child.kill('SIGINT');
  const code = await exited;
  const ms = performance.now() - t0;
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^Attaching 3 probes\.\.\.\nend\n\n\n@b: 5\n@c: \d+\n$/);
  assert.ok(ms < 3000, `exit took ${ms.toFixed(0)} ms`);
});

kernelTest('-c runs the command (no shell) and exits when it exits; a missing command is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-trace-c-'));
  try {
    const marker = join(dir, 'ran');
    const r = await bpfkitTrace(['-q', '-e', 'tracepoint:syscalls:sys_enter_getppid { @ = count(); }', '-c', `touch '${marker}' '$HOME'`],
      { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(marker, 'utf8'), '');
    assert.equal(readFileSync(join(dir, '$HOME'), 'utf8'), '', 'no shell expanded $HOME');
    const missing = await bpfkitTrace(['-e', 'BEGIN { exit(); }', '-c', 'no-such-command-here']);
    assert.equal(missing.code, 255);
    assert.equal(missing.stderr, "ERROR: Failed to fork child: path 'no-such-command-here' does not exist or is not executable\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

kernelTest('--dry-run verifies and exits 0 without output; -d dumps the AST and the programs', async () => {
  const dry = await bpfkitTrace(['--dry-run', '-e', 'tracepoint:syscalls:sys_enter_getppid { @ = count(); }']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(dry.stdout, '');
  const d = await bpfkitTrace(['-d', '-e', 'BEGIN { exit(); }']);
  assert.equal(d.code, 0, d.stderr);
  assert.match(d.stdout, /^AST\n/);
  assert.match(d.stdout, /BEGIN \(program \w+\)\n-+\n\s+0: \(/);
  assert.match(d.stdout, /call bpf_ringbuf_output/);
});

kernelTest('-v shows the verifier statistics of every probe', async () => {
  const r = await bpfkitTrace(['-v', '-e', 'BEGIN { exit(); }']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Attaching 1 probe\.\.\.\n\nProgram ID: \d+\nProbe: BEGIN\n\nThe verifier log: \n[^]*processed \d+ insns/);
});

kernelTest('bpftrace-only flags are accepted; the notify variable prints its line on stderr', async () => {
  const r = await bpfkitTrace(['-k', '-kk', '--verify-llvm-ir', '-B', 'none', '-e', 'BEGIN { exit(); }'],
    { env: { ...process.env, __BPFTRACE_NOTIFY_PROBES_ATTACHED: '1' } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '__BPFTRACE_NOTIFY_PROBES_ATTACHED\n');
  assert.equal(r.stdout, 'Attaching 1 probe...\n\n\n');
  const bad = await bpfkitTrace(['-f', 'xml', '-e', 'BEGIN { exit(); }']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, 'ERROR: Invalid output format "xml"\nValid formats: \'text\', \'json\'\n');
});

kernelTest('-l lists tracepoints as bpftrace names them', async () => {
  const pattern = 'tracepoint:sched:sched_wak*';
  const ours = await bpfkitTrace(['-l', pattern]);
  assert.equal(ours.code, 0);
  assert.match(ours.stdout, /^tracepoint:sched:sched_wakeup$/m);
  if (bpftraceAvailable()) assert.equal(ours.stdout, (await bpftrace(['-l', pattern])).stdout);
  const fields = await bpfkitTrace(['-lv', 'tracepoint:sched:sched_wakeup']);
  assert.match(fields.stdout, /^tracepoint:sched:sched_wakeup\n {4}char comm\[16\]\n {4}pid_t pid\n/);
});

kernelTest('--info prints the kernel and its features in bpftrace\'s layout', async () => {
  const r = await bpfkitTrace(['--info']);
  assert.equal(r.code, 0, r.stderr);
  for (const heading of ['System', 'Build', 'Kernel helpers', 'Kernel features', 'Map types', 'Probe types']) {
    assert.match(r.stdout, new RegExp(`^${heading}\\n`, 'm'));
  }
  assert.match(r.stdout, /^ {2}btf: yes$/m);
  assert.match(r.stdout, /^ {2}tracepoint: yes$/m);
  assert.match(r.stdout, /^ {2}OS: Linux /m);
});

test('not root: one line, exit 1', { skip: process.getuid?.() !== 0 && 'needs root to switch to nobody' }, async () => {
  const r = await bpfkitTrace(['-e', 'BEGIN { exit(); }'], { uid: 65534, gid: 65534 });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'ERROR: bpfkit trace currently only supports running as the root user.\n');
});

test('no program: usage on stderr, exit 1', async () => {
  const r = await bpfkitTrace([]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Usage: bpfkit trace/);
});
