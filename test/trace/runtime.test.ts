// The bpftrace runtime against the kernel, with hand-built CompiledScripts (independent of the compiler).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { native } from '../../src/sys/native.js';
import { exitOutput } from '../../src/trace/output/index.js';
import { contentsFromEntries, RecordDecoder, runScript, StringSink, TraceRuntimeError } from '../../src/trace/runtime/index.js';
import { splitCommand } from '../../src/trace/cli.js';
import type { CompiledMap } from '../../src/trace/compiled.js';
import { kernelTest } from '../helpers/kernel.js';
import { countScript, endScript, helloScript, histScript, rejectedScript } from '../fixtures/trace-runtime/scripts.js';

const SYS_getppid = 110;
const ownComm = () => readFileSync(`/proc/self/task/${process.pid}/comm`, 'utf8').trim();

kernelTest('BEGIN printf and exit(): the formatted line, then the exit output', async () => {
  const sink = new StringSink();
  const r = await runScript(helloScript(), { sink, handleSignals: false });
  assert.equal(r.reason, 'exit');
  assert.equal(r.exitCode, 0);
  assert.equal(sink.text, 'Attaching 1 probe...\nhello 42 world\n\n\n');
  assert.ok(r.timings.beganMs >= r.timings.attachedMs);
});

kernelTest('-q and -f json change the attach line and the records', async () => {
  const quiet = new StringSink();
  await runScript(helloScript(), { sink: quiet, quiet: true, handleSignals: false });
  assert.equal(quiet.text, 'hello 42 world\n\n\n');
  const json = new StringSink();
  await runScript(helloScript(), { sink: json, format: 'json', handleSignals: false });
  assert.equal(json.text, '{"type": "attached_probes", "data": {"probes": 1}}\n{"type": "printf", "data": "hello 42 world\\n"}\n\n\n');
});

kernelTest('a tracepoint counting by comm: the exit output shows this process with the right count', async () => {
  const sink = new StringSink();
  const stop = new AbortController();
  let notified = false;
  const run = runScript(countScript(process.pid), {
    sink, handleSignals: false, signal: stop.signal, notifyAttached: true,
    stderr: (t) => {
      if (t !== '__BPFTRACE_NOTIFY_PROBES_ATTACHED\n') return;
      notified = true;
      // Every probe is attached now.
      for (let i = 0; i < 7; i++) native.syscall(SYS_getppid);
      stop.abort();
    },
  });
  const r = await run;
  assert.ok(notified, 'the notify line was printed');
  assert.equal(r.reason, 'abort');
  assert.equal(sink.text, `Attaching 1 probe...\n\n\n@[${ownComm()}]: 7\n`);
});

kernelTest('a hist map with known buckets prints as the output module does, from print() and at exit', async () => {
  const sink = new StringSink();
  await runScript(histScript({ 1: 2, 5: 3, 12: 1 }), { sink, quiet: true, handleSignals: false });
  const hist = exitOutput([{ name: '@h', kind: 'hist', keyTypes: [], entries: [{ key: [], buckets: [0n, 2n, 0n, 0n, 0n, 3n, 0n, 0n, 0n, 0n, 0n, 0n, 1n] }] }]);
  const printed = hist.slice(2); // print(@h) has no preamble
  assert.match(printed, /^@h: \n\[0\]\s+2 \|/);
  assert.equal(sink.text, printed + hist);
});

kernelTest('END runs after the probes are detached, on stop', async () => {
  const sink = new StringSink();
  const stop = new AbortController();
  const run = runScript(endScript(), { sink, handleSignals: false, signal: stop.signal });
  stop.abort();
  await run;
  assert.equal(sink.text, 'Attaching 1 probe...\nend\n\n\n');
});

kernelTest('a verifier rejection names the probe and the verifier reason, and nothing stays loaded', async () => {
  await assert.rejects(runScript(rejectedScript(), { sink: new StringSink(), handleSignals: false }), (err: unknown) => {
    assert.ok(err instanceof TraceRuntimeError);
    assert.match(err.message, /^Error loading program: tracepoint:syscalls:sys_enter_getppid\n/);
    assert.match(err.message, /R0 !read_ok/);
    return true;
  });
});

kernelTest('--dry-run loads and verifies, attaches nothing, prints nothing', async () => {
  const sink = new StringSink();
  const r = await runScript(countScript(process.pid), { sink, dryRun: true, handleSignals: false });
  assert.equal(r.reason, 'dry-run');
  assert.equal(sink.text, '');
  await assert.rejects(runScript(rejectedScript(), { sink, dryRun: true, handleSignals: false }), TraceRuntimeError);
});

kernelTest('-v prints each program\'s verifier statistics', async () => {
  const sink = new StringSink();
  await runScript(helloScript(), { sink, verbose: true, handleSignals: false, stderr: () => {} });
  assert.match(sink.text, /^Attaching 1 probe...\n\nProgram ID: \d+\nProbe: BEGIN\n\nThe verifier log: \n[^]*processed \d+ insns/);
});

kernelTest('-c: the command runs once probes are attached and its exit stops the script', async () => {
  const sink = new StringSink();
  const started = performance.now();
  const r = await runScript(countScript(process.pid), { sink, handleSignals: false, command: ['sleep', '0.2'] });
  assert.equal(r.reason, 'command');
  assert.ok(performance.now() - started >= 200, 'waited for the command');
});

kernelTest('-p: the script stops when the process exits', async () => {
  const child = spawn('sleep', ['0.3'], { stdio: 'ignore' });
  const r = await runScript(countScript(process.pid), { sink: new StringSink(), handleSignals: false, pid: child.pid! });
  assert.equal(r.reason, 'pid');
});

kernelTest('SIGINT in a tracing process prints the maps and exits 0', { timeout: 20000 }, async () => {
  const fixture = new URL('../fixtures/trace-runtime/run-count.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [fixture], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  const attached = new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => {
    stderr += d;
    if (stderr.includes('__BPFTRACE_NOTIFY_PROBES_ATTACHED')) resolve();
  }));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await attached;
  // Give the child the moment between its notify line and its getppid() calls.
  await new Promise((r) => setTimeout(r, 100));
  const t0 = performance.now();
  child.kill('SIGINT');
  const code = await exited;
  const exitMs = performance.now() - t0;
  assert.equal(code, 0, stderr);
  assert.match(stderr, /reason: signal/);
  assert.equal(stdout, `Attaching 2 probes...\n\n\n@[node]: 3\n@b: 5\n`);
  assert.ok(exitMs < 5000, `exit took ${exitMs} ms`);
});

test('maps: per-CPU values are reduced as bpftrace does', () => {
  const u64s = (...v: bigint[]) => {
    const b = new Uint8Array(v.length * 8);
    v.forEach((x, i) => new DataView(b.buffer).setBigUint64(i * 8, BigInt.asUintN(64, x), true));
    return b;
  };
  const base = { mapName: 'm', key: { kind: 'int', size: 8, signed: false }, keySize: 8, value: { kind: 'int', size: 8, signed: true }, perCpu: true } as const;
  const cm = (kind: CompiledMap['kind']): CompiledMap => ({ ...base, name: '@m', kind });
  const key = u64s(7n);
  const min = contentsFromEntries(cm('min'), [{ key, values: [u64s(5n, 1n), u64s(-3n, 1n), u64s(-100n, 0n)] }]);
  assert.deepEqual(min.entries, [{ key: [7n], value: -3n }]);
  const max = contentsFromEntries(cm('max'), [{ key, values: [u64s(5n, 1n), u64s(9n, 1n), u64s(100n, 0n)] }]);
  assert.deepEqual(max.entries, [{ key: [7n], value: 9n }]);
  const avg = contentsFromEntries(cm('avg'), [{ key, values: [u64s(2n, 10n), u64s(3n, 20n)] }]);
  assert.deepEqual(avg.entries, [{ key: [7n], count: 5n, total: 30n }]);
  const sum = contentsFromEntries(cm('sum'), [{ key, values: [u64s(-4n), u64s(1n)] }]);
  assert.deepEqual(sum.entries, [{ key: [7n], value: -3n }]);
  const hist = contentsFromEntries(cm('hist'), [
    { key: u64s(7n, 3n), values: [u64s(1n), u64s(2n)] },
    { key: u64s(7n, 1n), values: [u64s(4n), u64s(0n)] },
    { key: u64s(8n, 0n), values: [u64s(1n), u64s(0n)] },
  ]);
  assert.deepEqual(hist.entries, [{ key: [7n], buckets: [0n, 4n, 0n, 3n] }, { key: [8n], buckets: [1n] }]);
});

test('records: printf arguments are decoded at their offsets', () => {
  const decoder = new RecordDecoder([{ id: 3, kind: 'printf', format: '%s=%d\n', args: [
    { type: { kind: 'string', size: 8 }, offset: 8 }, { type: { kind: 'int', size: 4, signed: true }, offset: 16 }] }]);
  const rec = new Uint8Array(20);
  const v = new DataView(rec.buffer);
  v.setBigUint64(0, 3n, true);
  rec.set(Buffer.from('abc'), 8);
  v.setInt32(16, -5, true);
  assert.deepEqual(decoder.decode(rec), { kind: 'text', text: 'abc=-5\n' });
  v.setBigUint64(0, 99n, true);
  assert.deepEqual(decoder.decode(rec), { kind: 'none' });
});

test('-c commands are split like a shell would, without running one', () => {
  assert.deepEqual(splitCommand('ls -l /tmp'), ['ls', '-l', '/tmp']);
  assert.deepEqual(splitCommand(`sh -c 'echo "a b"; exit 3'`), ['sh', '-c', 'echo "a b"; exit 3']);
  assert.deepEqual(splitCommand(`printf "%s\\n" x\\ y ''`), ['printf', '%s\\n', 'x y', '']);
  assert.deepEqual(splitCommand('echo $HOME `id`'), ['echo', '$HOME', '`id`']);
  assert.throws(() => splitCommand(`echo 'open`), /unterminated quote/);
});

kernelTest('with a stop switch (ConstSlot.Stopped) detaching 100 tracepoints is instant', { timeout: 30000 }, async () => {
  const { ConstSlot } = await import('../../src/trace/compiled.js');
  const { program, R0, R1 } = await import('../../src/isa/builder.js');
  const { listTracepoints } = await import('../../src/kernel/attach/tracepoint.js');
  const { MapType, ProgType } = await import('../../src/sys/constants.js');
  const slots = ConstSlot as unknown as Record<string, number>;
  const had = 'Stopped' in slots;
  // Until the compiler defines the slot: every program returns at once once consts[1] is set.
  if (!had) slots['Stopped'] = 1;
  try {
    const insns = program().loadMapValue(R1, 'consts', 8).ldx('dw', R0, R1, 0).jmp('jne', R0, 0, 'out').label('out').mov(R0, 0).exit().build();
    const tps = listTracepoints('syscalls:sys_enter_*').slice(0, 100);
    const compiled = {
      spec: {
        maps: {
          events: { name: 'events', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 1 << 16 },
          lost: { name: 'lost', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 },
          consts: { name: 'consts', type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 1 },
        },
        programs: { tp: { name: 'tp', type: ProgType.TRACEPOINT, instructions: insns, license: 'GPL' } },
      },
      probes: tps.map((t) => ({ program: 'tp', attach: { provider: 'tracepoint' as const, category: t.category, name: t.name }, text: `tracepoint:${t.category}:${t.name}` })),
      maps: [], formats: [], eventsMap: 'events', lostMap: 'lost', constsMap: 'consts',
    };
    const stop = new AbortController();
    const run = runScript(compiled, { sink: new StringSink(), handleSignals: false, signal: stop.signal });
    stop.abort();
    const r = await run;
    assert.equal(r.reason, 'abort');
    assert.ok(r.timings.detachMs < 500, `detach took ${r.timings.detachMs} ms`);
  } finally {
    if (!had) delete slots['Stopped'];
  }
});
