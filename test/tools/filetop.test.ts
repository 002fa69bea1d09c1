// filetop: this test process writes and reads a file of its own a known number of times with known sizes; the
// tool's rows for that file (summed over intervals, in case our I/O straddles one) carry our tid, comm and counts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelTest } from '../helpers/kernel.js';
import { startTool } from './run-tool.js';

const WRITES = 5;
const WRITE_SIZE = 8192;
const READS = 3;
const READ_SIZE = 4096;

/** Writes WRITES × WRITE_SIZE bytes, then reads READS × READ_SIZE back, on this thread (tid = our pid). */
function doFileIo(path: string): void {
  const fd = openSync(path, 'w+');
  try {
    const chunk = Buffer.alloc(WRITE_SIZE, 0x61);
    for (let i = 0; i < WRITES; i++) writeSync(fd, chunk);
    const buf = Buffer.alloc(READ_SIZE);
    for (let i = 0; i < READS; i++) assert.equal(readSync(fd, buf, 0, READ_SIZE, i * READ_SIZE), READ_SIZE);
  } finally {
    closeSync(fd);
  }
}

interface Row { tid: number; comm: string; reads: number; writes: number; rkb: number; wkb: number; type: string; file: string }

function parseRows(text: string): Row[] {
  const out: Row[] = [];
  for (const line of text.split('\n')) {
    const m = line.match(/^(\d+)\s+(.{1,16}?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([RSO])(?: (.*))?$/);
    if (m) out.push({ tid: Number(m[1]), comm: m[2]!, reads: Number(m[3]), writes: Number(m[4]), rkb: Number(m[5]), wkb: Number(m[6]), type: m[7]!, file: m[8] ?? '' });
  }
  return out;
}

kernelTest('filetop counts our reads and writes of a known file: tid, comm, READS, WRITES, R_Kb, W_Kb', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-filetop-'));
  const name = `ft-${process.pid}.dat`;
  const run = startTool('filetop', ['-C', '-p', String(process.pid), '1']);
  try {
    await run.waitFor(/^Tracing\.\.\. Output every 1 secs/m);
    doFileIo(join(dir, name));
    // Wait for two interval headers after our I/O so every count has been printed.
    const headersBefore = (run.stdout().match(/^TID\s+COMM/gm) ?? []).length;
    await run.waitFor(new RegExp(`(^TID\\s+COMM[^]*){${headersBefore + 2}}`, 'm'));
    const header = run.stdout().match(/^TID\s+COMM\s+READS\s+WRITES\s+R_Kb\s+W_Kb\s+T\s+FILE$/m);
    assert.ok(header, 'libbpf-tools header');
    assert.match(run.stdout(), /^\d\d:\d\d:\d\d loadavg: [\d.]+ [\d.]+ [\d.]+ \d+\/\d+ \d+$/m);
    const mine = parseRows(run.stdout()).filter((r) => r.file === name);
    assert.ok(mine.length > 0, `no row for ${name}:\n${run.stdout()}`);
    for (const r of mine) {
      assert.equal(r.tid, process.pid);
      assert.equal(r.comm, 'node');
      assert.equal(r.type, 'R');
    }
    const sum = (k: 'reads' | 'writes' | 'rkb' | 'wkb') => mine.reduce((a, r) => a + r[k], 0);
    assert.deepEqual(
      { reads: sum('reads'), writes: sum('writes'), rkb: sum('rkb'), wkb: sum('wkb') },
      { reads: READS, writes: WRITES, rkb: (READS * READ_SIZE) / 1024, wkb: (WRITES * WRITE_SIZE) / 1024 },
    );
  } finally {
    const r = await run.stop();
    rmSync(dir, { recursive: true, force: true });
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('filetop --json: one object per interval with a rows array', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-filetop-'));
  const run = startTool('filetop', ['--json', '-p', String(process.pid), '1']);
  try {
    // No header in JSON mode: do the I/O on a new file each round until one shows up, then once more on a last
    // file, all of whose I/O happens with the probes attached.
    const deadline = Date.now() + 15000;
    for (let i = 0; Date.now() < deadline && !run.stdout().includes(`"file":"warm-${i - 1}.dat"`); i++) {
      doFileIo(join(dir, `warm-${i}.dat`));
      await new Promise((r) => setTimeout(r, 300));
    }
    doFileIo(join(dir, 'last.dat'));
    const seen = run.stdout().split('\n').length;
    await run.waitFor(new RegExp(`^(?:.*\\n){${seen + 1}}`), 10000);
    const intervals = run.stdout().split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { time: string; rows: Array<Record<string, unknown>> });
    assert.ok(intervals.every((i) => /^\d\d:\d\d:\d\d$/.test(i.time) && Array.isArray(i.rows)));
    const rows = intervals.flatMap((i) => i.rows).filter((row) => row.file === 'last.dat');
    assert.ok(rows.length > 0, run.stdout());
    assert.ok(rows.every((row) => row.pid === process.pid && row.tid === process.pid && row.comm === 'node' && row.t === 'R'));
    const sum = (k: string) => rows.reduce((a, row) => a + (row[k] as number), 0);
    assert.deepEqual(
      { reads: sum('reads'), writes: sum('writes'), rbytes: sum('rbytes'), wbytes: sum('wbytes') },
      { reads: READS, writes: WRITES, rbytes: READS * READ_SIZE, wbytes: WRITES * WRITE_SIZE },
    );
  } finally {
    const r = await run.stop();
    rmSync(dir, { recursive: true, force: true });
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('filetop -a shows pipe I/O as type O; the count argument ends the tool', async () => {
  // A python child that, on SIGUSR1, writes 4 × 100 bytes into a pipe and reads them back (no other pipe I/O).
  const code = 'import os,signal,sys\nsignal.pthread_sigmask(signal.SIG_BLOCK,{signal.SIGUSR1})\nsys.stdout.write("ready\\n"); sys.stdout.flush()\n'
    + 'signal.sigwait({signal.SIGUSR1})\nr,w=os.pipe()\nfor i in range(4):\n  os.write(w, b"x"*100); os.read(r, 100)\nsignal.sigwait({signal.SIGUSR1})';
  const child = spawn('python3', ['-c', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    const run = startTool('filetop', ['-a', '-C', '-p', String(child.pid), '2', '3']);
    await run.waitFor(/^Tracing\.\.\./m);
    child.kill('SIGUSR1');
    const r = await run.exited(20000);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((r.stdout.match(/^TID\s+COMM\s+READS/gm) ?? []).length, 3, r.stdout);
    const rows = parseRows(r.stdout).filter((row) => row.tid === child.pid);
    assert.ok(rows.length > 0, r.stdout);
    assert.ok(rows.every((row) => row.type === 'O' && row.comm === 'python3'), r.stdout);
    const sum = (k: 'reads' | 'writes') => rows.reduce((a, row) => a + row[k], 0);
    assert.deepEqual({ reads: sum('reads'), writes: sum('writes') }, { reads: 4, writes: 4 }, r.stdout);
  } finally {
    child.kill();
  }
});
