// End to end: real bpftrace scripts (the and bpftrace's tutorial's) compiled by compileScript and run by
// the runtime against this kernel, observing what each test triggers; deterministic scripts against bpftrace 0.17's
// stored output.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileScript } from '../../src/trace/compile.js';
import { runScript, StringSink } from '../../src/trace/runtime/index.js';
import { paths } from '../fixtures/trace-output/golden.js';
import { scenarios } from '../fixtures/trace-output/scenarios.js';
import { kernelTest } from '../helpers/kernel.js';
import { bpfkitTrace } from './cli-helpers.js';

/** Scenarios using functions outside this language (buf()). */
const OUT_OF_SCOPE = new Set(['printf-buffers']);

/** A temp dir with copies of system binaries under unique names, so scripts can filter on their comm. */
function victims(): { dir: string; copy(binary: string, name: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-e2e-'));
  return {
    dir,
    copy(binary, name) {
      const path = join(dir, name);
      copyFileSync(binary, path);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

kernelTest('deterministic scripts print exactly bpftrace 0.17\'s stored output (text and json)', { timeout: 60000 }, async () => {
  const mismatches: string[] = [];
  let compared = 0;
  for (const s of scenarios) {
    if (OUT_OF_SCOPE.has(s.name)) continue;
    const p = paths(s.name);
    const source = readFileSync(p.script, 'utf8');
    for (const format of ['text', 'json'] as const) {
      const sink = new StringSink();
      await runScript(compileScript(source, p.script), { sink, format, handleSignals: false });
      compared++;
      if (sink.text !== readFileSync(format === 'json' ? p.json : p.text, 'utf8')) mismatches.push(`${s.name} (${format})`);
    }
  }
  assert.deepEqual(mismatches, []);
  assert.ok(compared >= 60, `compared ${compared} outputs`);
});

kernelTest('raw_syscalls:sys_enter { @[comm] = count(); } counts the command\'s syscalls', async () => {
  const v = victims();
  try {
    const sleeper = v.copy('/bin/sleep', 'e2e_sleep_cnt');
    const r = await bpfkitTrace(['-e', 'tracepoint:raw_syscalls:sys_enter /comm == "e2e_sleep_cnt"/ { @[comm] = count(); }', '-c', `${sleeper} 0.1`]);
    assert.equal(r.code, 0, r.stderr);
    const m = /^@\[e2e_sleep_cnt\]: (\d+)$/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.ok(Number(m[1]) >= 10, `a process makes more than ${m[1]} syscalls to start`);
  } finally {
    v.cleanup();
  }
});

kernelTest('sys_enter_openat printf with str(args->filename) shows the file the command opened', async () => {
  const v = victims();
  try {
    const cat = v.copy('/bin/cat', 'e2e_cat_open');
    const target = join(v.dir, 'target.txt');
    writeFileSync(target, 'hello\n');
    const r = await bpfkitTrace(['-e', 'tracepoint:syscalls:sys_enter_openat /comm == "e2e_cat_open"/ { printf("%s opened %s\\n", comm, str(args->filename)); }',
      '-c', `${cat} ${target}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^e2e_cat_open opened ${target}$`, 'm'));
  } finally {
    v.cleanup();
  }
});

kernelTest('sys_exit_read /args->ret > 0/ hist(args->ret) puts a 5000-byte read in [4K, 8K)', async () => {
  const v = victims();
  try {
    const cat = v.copy('/bin/cat', 'e2e_cat_read');
    const target = join(v.dir, 'data.bin');
    writeFileSync(target, Buffer.alloc(5000, 0x61));
    const r = await bpfkitTrace(['-e', 'tracepoint:syscalls:sys_exit_read /args->ret > 0 && comm == "e2e_cat_read"/ { @bytes[comm] = hist(args->ret); }',
      '-c', `${cat} ${target}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^@bytes\[e2e_cat_read\]: \n/m);
    assert.match(r.stdout, /^\[4K, 8K\)\s+[1-9]\d* \|@+/m);
  } finally {
    v.cleanup();
  }
});

kernelTest('block I/O latency script (issue/complete keyed by dev, sector, with delete) attaches and exits', async () => {
  const script = `
tracepoint:block:block_rq_issue { @start[args->dev, args->sector] = nsecs; }
tracepoint:block:block_rq_complete /@start[args->dev, args->sector]/ {
  @usecs = hist((nsecs - @start[args->dev, args->sector]) / 1000);
  delete(@start[args->dev, args->sector]);
}
interval:ms:200 { exit(); }`;
  const r = await bpfkitTrace(['-e', script]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Attaching 3 probes\.\.\.\n/);
});

kernelTest('profile:hz:99 { @[comm] = count(); } samples a busy command', async () => {
  const v = victims();
  try {
    const sh = v.copy('/bin/sh', 'e2e_busy_sh');
    const r = await bpfkitTrace(['-e', 'profile:hz:99 /comm == "e2e_busy_sh"/ { @[comm] = count(); }',
      '-c', `${sh} -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done'`], { timeoutMs: 30000 });
    assert.equal(r.code, 0, r.stderr);
    const m = /^@\[e2e_busy_sh\]: (\d+)$/m.exec(r.stdout);
    assert.ok(m, r.stdout);
  } finally {
    v.cleanup();
  }
});

kernelTest('sched_wakeup /args->comm == X/ printf names who woke the command', async () => {
  const v = victims();
  try {
    const sleeper = v.copy('/bin/sleep', 'e2e_sleep_wk');
    const r = await bpfkitTrace(['-e', 'tracepoint:sched:sched_wakeup /args->comm == "e2e_sleep_wk"/ { printf("woke by: %s (PID %d)\\n", comm, pid); }',
      '-c', `${sleeper} 0.05`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^woke by: .+ \(PID \d+\)$/m);
  } finally {
    v.cleanup();
  }
});

kernelTest('sched_process_exec printf and interval exit(): the exec of the command shows, the interval stops', async () => {
  const v = victims();
  try {
    const t = v.copy('/bin/true', 'e2e_exec_true');
    const started = performance.now();
    const r = await bpfkitTrace(['-e', 'tracepoint:sched:sched_process_exec /comm == "e2e_exec_true"/ { printf("exec %s pid>0:%d\\n", comm, pid > 0); } interval:ms:300 { exit(); }',
      '-c', t]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^exec e2e_exec_true pid>0:1$/m);
    const interval = await bpfkitTrace(['-e', 'BEGIN { printf("begin\\n"); } interval:ms:300 { printf("tick\\n"); exit(); } END { printf("end\\n"); }']);
    assert.equal(interval.code, 0, interval.stderr);
    assert.equal(interval.stdout, 'Attaching 3 probes...\nbegin\ntick\nend\n\n\n');
    assert.ok(performance.now() - started >= 300);
  } finally {
    v.cleanup();
  }
});
