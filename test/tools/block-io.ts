// Block I/O the block tool tests can recognise: dd making 32 O_DIRECT writes of 64 KiB to a file on the root disk
// (vda), so each write is one block request.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { startTool, type ToolRun } from './run-tool.js';

/** A scratch file on vda, unique to this test process. */
export function scratchFile(tool: string): string {
  return `/var/tmp/bpfkit-${tool}-${process.pid}`;
}

/** 32 direct (uncached) 64 KiB writes to `file`: 32 block requests on vda. Returns dd's pid. */
export function directWrites(file: string): number {
  const r = spawnSync('dd', ['if=/dev/zero', `of=${file}`, 'bs=64k', 'count=32', 'oflag=direct'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.pid!;
}

/** The same writes from a dd inside cgroup v2 directory `cgroup`. Returns dd's pid. */
export function directWritesInCgroup(file: string, cgroup: string): number {
  const r = spawnSync('sh', ['-c', `echo $$ > ${cgroup}/cgroup.procs && exec dd if=/dev/zero of=${file} bs=64k count=32 oflag=direct`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.pid!;
}

/**
 * Runs `bpfkit tool args`, waits for `ready` (the header), does `activity` (default: the direct writes), then stops
 * it with Ctrl-C and checks it exited 0. The scratch file is removed. Returns stdout.
 */
export async function traceWrites(
  tool: string,
  args: string[],
  { ready = /Hit Ctrl-C to end\.$/m, activity = directWrites }: { ready?: RegExp; activity?: (file: string, run: ToolRun) => unknown } = {},
): Promise<string> {
  const file = scratchFile(tool);
  const run = startTool(tool, args);
  try {
    await run.waitFor(ready);
    await activity(file, run);
  } finally {
    const r = await run.stop();
    rmSync(file, { force: true });
    assert.equal(r.code, 0, r.stderr);
  }
  return run.stdout();
}

/**
 * For --json interval output: runs `bpfkit tool args`, waits for the first interval record (probes attached), and
 * repeats the direct writes every 1.2 s until `enough(stdout)` or `timeoutMs`. Returns stdout.
 */
export async function writeUntil(tool: string, args: string[], enough: (stdout: string) => boolean, timeoutMs: number): Promise<string> {
  const file = scratchFile(tool);
  const run = startTool(tool, args);
  try {
    await run.waitFor(/^\{"time"/m);
    const deadline = Date.now() + timeoutMs;
    while (!enough(run.stdout()) && Date.now() < deadline) {
      directWrites(file);
      await new Promise((resolve) => setTimeout(resolve, 1200));
    }
  } finally {
    const r = await run.stop();
    rmSync(file, { force: true });
    assert.equal(r.code, 0, r.stderr);
  }
  return run.stdout();
}
