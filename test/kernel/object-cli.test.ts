// `bpfkit load` on clang-built objects: attach by section, stream ring buffer records as JSON lines, detach on
// Ctrl-C; --no-attach verifies only; --pin pins maps; verifier errors name the C source line.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { ensureBpffs } from '../../src/kernel/mounts.js';
import { compileBpf } from '../fixtures/bpf/build.js';
import { kernelTest } from '../helpers/kernel.js';

const cli = new URL('../../src/cli/main.js', import.meta.url).pathname;

kernelTest('bpfkit load attaches by section name, streams decoded ring buffer records, detaches on SIGINT', async () => {
  const child = spawn(process.execPath, [cli, 'load', compileBpf('tracing'), '--set', `target_tgid=${process.pid}`],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 15_000;
    while (!out.includes('"attached","program":"btf_sys_enter"') && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(out, /"event":"attached","program":"tp_getppid","to":"tracepoint syscalls:sys_enter_getppid"/, err);
    for (let i = 0; i < 3; i++) assert.ok(process.ppid > 0);
    while ((out.match(/"map":"events"/g) ?? []).length < 9 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await exited, 0, err);
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const records = lines.filter((l) => l.map === 'events').map((l) => l.record as { tgid: number; kind: number; value: number });
  assert.ok(records.length >= 9, out);
  assert.ok(records.every((r) => r.tgid === process.pid));
  assert.deepEqual([...new Set(records.map((r) => r.kind))].sort(), [1, 2, 3]);
  assert.ok(lines.some((l) => l.event === 'not-attached' && l.program === 'victim_add_entry'));
  assert.deepEqual(lines.at(-1), { event: 'detached', links: 3 });
});

kernelTest('bpfkit load --no-attach exits 0 when every program verifies, 1 naming the C line when one does not', () => {
  const ok = spawnSync(process.execPath, [cli, 'load', '--no-attach', compileBpf('many')], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /"event":"verified","programs":10,"maps":3/);
  const bad = spawnSync(process.execPath, [cli, 'load', '--no-attach', compileBpf('rejected')], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /load program 'xdp_unchecked' \(XDP\): the verifier rejected it/);
  assert.match(bad.stderr, /rejected\.bpf\.c:10:\d+: return data\[20\] == 6/);
});

kernelTest('bpfkit load --pin DIR pins every map by name', () => {
  ensureBpffs();
  const dir = `/sys/fs/bpf/bpfkit-cli-${process.pid}`;
  try {
    const r = spawnSync(process.execPath, [cli, 'load', '--no-attach', '--pin', dir, compileBpf('xdp_port')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    for (const m of ['bytes', 'rodata', 'bss']) assert.ok(existsSync(`${dir}/maps/${m}`), m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
