// A process killed with SIGKILL leaves no program, map or link behind: only what it pinned.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BpfMap } from '../../src/kernel/map.js';
import { ensureBpffs } from '../../src/kernel/mounts.js';
import { kernelTest, skipOrFail } from '../helpers/kernel.js';

const fixture = fileURLToPath(new URL('../fixtures/hold-objects.js', import.meta.url));

function bpftoolJson(...args: string[]): Array<{ id: number; name?: string; prog_id?: number }> {
  return JSON.parse(execFileSync('bpftool', ['-j', ...args], { encoding: 'utf8' }) || '[]');
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

kernelTest('SIGKILL leaves no program, map or link behind, but keeps pins', { timeout: 30_000 }, async (t) => {
  try {
    execFileSync('bpftool', ['version'], { stdio: 'ignore' });
  } catch {
    return skipOrFail(t, 'bpftool is not installed (apt-get install bpftool)');
  }
  const tag = `k${process.pid % 100000}`;
  const pinPath = `${ensureBpffs()}/bpfkit-test-${tag}`;
  const child = spawn(process.execPath, [fixture, tag, pinPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(d.toString()));
      child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    const ids = JSON.parse(line) as { map: number; prog: number };
    const progsBefore = bpftoolJson('prog', 'show');
    assert.ok(progsBefore.some((p) => p.id === ids.prog), 'program is loaded while the child lives');
    assert.ok(bpftoolJson('link', 'show').some((l) => l.prog_id === ids.prog), 'link exists while the child lives');
    assert.ok(bpftoolJson('map', 'show').some((m) => m.id === ids.map), 'map exists while the child lives');

    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // The kernel frees objects after an RCU grace period: give it a moment.
    const gone = await waitFor(() =>
      !bpftoolJson('prog', 'show').some((p) => p.id === ids.prog)
      && !bpftoolJson('map', 'show').some((m) => m.id === ids.map)
      && !bpftoolJson('link', 'show').some((l) => l.prog_id === ids.prog), 5000);
    assert.ok(gone, 'program, map and link are gone after SIGKILL');
    assert.ok(existsSync(pinPath), 'the pinned map survives');
    using reopened = BpfMap.fromPin(pinPath);
    assert.equal(reopened.name, `${tag}_p`);
  } finally {
    child.kill('SIGKILL');
    rmSync(pinPath, { force: true });
  }
});
