// Lost events: a snoop tool that cannot keep up says how many records its ring buffer dropped, and the count is
// exact. The tool is frozen (SIGSTOP) while a child makes a burst of events, far more records than the 1 MiB ring
// buffer holds; after SIGCONT and Ctrl-C, rows printed + lost reported must equal the events made. opensnoop
// sends with ringbuf_reserve, execsnoop with ringbuf_output: both ways of losing a record are counted.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createCgroup } from '../helpers/cgroup.js';
import { kernelTest } from '../helpers/kernel.js';
import { startTool } from './run-tool.js';

const OPENS = 20000;
const EXECS = 2000;

/** A python3 child that, on each line from stdin, runs `burst` and answers "done"; `setup` runs first. */
function burster(burst: string, setup = '') {
  const code = ['import os, sys', setup, 'print("ready", flush=True)', 'for _ in sys.stdin:', `  ${burst}`, '  print("done", flush=True)'].join('\n');
  const child = spawn('python3', ['-c', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const expect = async (word: string) => assert.equal((await lines.next()).value, word);
  return { child, expect };
}

/** The sum of the "lost N events" messages (new losses each, while running and at the end). */
function reportedLost(tool: string, stderr: string): number {
  return [...stderr.matchAll(new RegExp(`^bpfkit ${tool}: lost (\\d+) events \\(ring buffer full\\)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
}

/**
 * The accounting check: starts `bpfkit tool args(childPid)` once the burster is ready, freezes the tool while the
 * burst of `events` happens, lets it go, stops it, and asserts rows for which `ours(line)` holds + reported lost
 * == events, with some of each.
 */
async function checkLostAccounting(tool: string, args: (childPid: number) => string[], header: RegExp, b: ReturnType<typeof burster>, events: number, ours: (line: string) => boolean) {
  let run: ReturnType<typeof startTool> | undefined;
  try {
    await b.expect('ready'); // the child's own start-up (opens, execs) is over before the tool starts
    run = startTool(tool, args(b.child.pid!));
    await run.waitFor(header);
    run.child.kill('SIGSTOP');
    b.child.stdin!.write('go\n');
    await b.expect('done');
    run.child.kill('SIGCONT');
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
    const printed = r.stdout.split('\n').filter(ours).length;
    const lost = reportedLost(tool, r.stderr);
    console.log(`${tool}: ${events} events, printed ${printed}, reported lost ${lost}`);
    assert.ok(lost > 0, `the ring buffer should have overflowed; stderr: ${r.stderr}`);
    assert.ok(printed > 0, 'records that fit should still be printed');
    assert.equal(printed + lost, events);
  } finally {
    if (run?.child.exitCode === null) run.child.kill('SIGCONT');
    await run?.stop();
    b.child.stdin!.end();
    if (b.child.exitCode === null) await once(b.child, 'exit');
  }
}

kernelTest('opensnoop -p PID: rows printed + lost events reported == opens made, while the tool was stopped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-lost-'));
  const path = join(dir, 'burst.txt');
  writeFileSync(path, 'x');
  try {
    const b = burster(`for _ in range(${OPENS}): os.close(os.open(${JSON.stringify(path)}, os.O_RDONLY))`);
    await checkLostAccounting('opensnoop', (pid) => ['-p', String(pid)], /^PID\s+COMM\s+FD\s+ERR\s+PATH$/m, b, OPENS, (l) => l.startsWith(`${b.child.pid} `) && l.endsWith(` ${path}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

kernelTest('execsnoop -c CG: rows printed + lost events reported == execs made, while the tool was stopped', async () => {
  using cg = createCgroup();
  const marker = `bpfkit-lost-${process.pid}`;
  // 18 long arguments make each record ~2.3 KB: a few hundred fill the ring buffer. 20 arguments in all: the
  // default --max-args shows them all.
  const argv = ['/bin/true', marker, ...Array.from({ length: 18 }, (_, i) => `${i}`.padEnd(120, 'x'))];
  const b = burster(
    `for _ in range(${EXECS}): os.waitpid(os.posix_spawn('/bin/true', ${JSON.stringify(argv)}, {}), 0)`,
    // Only our execs run in the cgroup, so everything the filter lets through (and may lose) is ours.
    `open(${JSON.stringify(`${cg.path}/cgroup.procs`)}, 'w').write(str(os.getpid()))`,
  );
  await checkLostAccounting('execsnoop', () => ['-c', cg.path], /^PCOMM\s+PID\s+PPID\s+RET\s+ARGS$/m, b, EXECS, (l) => l.startsWith('true ') && l.includes(` /bin/true ${marker} `));
});
