// profile: a program of ours spins in bpfkit_busy_function; profiling its pid shows that function above main, in the
// folded, default and JSON outputs, and no other process. Plus the pure pieces (kallsyms, folding) on known input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUSY_COMM, startBusyProgram } from '../fixtures/tools/busy.js';
import { kernelTest } from '../helpers/kernel.js';
import { KernelSymbols } from '../../src/tools/profile/kallsyms.js';
import { foldStacks, formatStack, type ProfiledStack } from '../../src/tools/profile/stacks.js';
import { startTool } from './run-tool.js';

kernelTest('profile -p PID -f -d: folded stacks of our busy program only, main;bpfkit_busy_function counted', { timeout: 30000 }, async () => {
  await using busy = await startBusyProgram();
  const r = await startTool('profile', ['-p', String(busy.pid), '-F', '99', '-f', '-d', '2']).exited();
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  assert.ok(lines.length > 0, 'no folded stacks');
  for (const line of lines) {
    assert.match(line, /^\S.* \d+$/, `not a folded line: ${line}`);
    assert.ok(line.startsWith(`${BUSY_COMM};`), `a stack of another process: ${line}`);
  }
  const busyLine = lines.find((l) => /;main;bpfkit_busy_function \d+$/.test(l));
  assert.ok(busyLine, `no ...;main;bpfkit_busy_function line:\n${r.stdout}`);
  assert.ok(Number(busyLine.split(' ').pop()) > 0);
  assert.ok(lines.some((l) => /;main;bpfkit_other_function \d+$/.test(l)), 'the other spinning function is missing');
  // getppid() samples taken in the kernel: user frames, the -d delimiter, then kernel frames named from kallsyms.
  assert.ok(lines.some((l) => /;main;.*;-;(.*;)?do_syscall_64(;.*)? \d+$/.test(l)), `no user;-;kernel syscall stack:\n${r.stdout}`);
});

kernelTest('profile -p PID (default output, Ctrl-C): frames one per line, then "-  comm (pid)" and the count', { timeout: 30000 }, async () => {
  await using busy = await startBusyProgram();
  const run = startTool('profile', ['-p', String(busy.pid), '-F', '99']);
  await run.waitFor(new RegExp(`^Sampling at 99 Hertz of PID ${busy.pid} by user \\+ kernel stack\\.\\.\\. Hit Ctrl-C to end\\.$`, 'm'));
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const r = await run.stop();
  assert.equal(r.code, 0, r.stderr);
  // Stacks are blank-line separated blocks ending in "    -                comm (pid)" and "        count".
  const stacks = r.stdout.split(/\n\s*\n/).filter((b) => /^ {4}- {16}/m.test(b));
  assert.ok(stacks.length > 0, `no stacks printed:\n${r.stdout}`);
  for (const s of stacks) assert.match(s, new RegExp(`^    -                ${BUSY_COMM} \\(${busy.pid}\\)\\n        \\d+$`, 'm'));
  const hot = stacks.find((s) => /^    [0-9a-f]{16} bpfkit_busy_function\n    [0-9a-f]{16} main$/m.test(s));
  assert.ok(hot, `no stack with bpfkit_busy_function called from main:\n${r.stdout}`);
});

kernelTest('profile --json: one object per stack with pid, comm, count and the two stacks', { timeout: 30000 }, async () => {
  await using busy = await startBusyProgram();
  const r = await startTool('profile', ['--json', '-p', String(busy.pid), '-F', '99', '-U', '2']).exited();
  assert.equal(r.code, 0, r.stderr);
  const records = r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as {
    pid: number; comm: string; count: number; kernel_stack: string[]; user_stack: string[];
  });
  assert.ok(records.length > 0, 'no records');
  for (const rec of records) {
    assert.equal(rec.pid, busy.pid);
    assert.equal(rec.comm, BUSY_COMM);
    assert.ok(rec.count > 0);
    assert.deepEqual(rec.kernel_stack, [], '-U leaves kernel stacks out');
  }
  assert.ok(records.some((rec) => rec.user_stack[0] === 'bpfkit_busy_function' && rec.user_stack[1] === 'main'), r.stdout);
});

kernelTest('profile refuses conflicting flags with one line', async () => {
  const r = await startTool('profile', ['-U', '-K', '1']).exited();
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'bpfkit profile: -U and -K are mutually exclusive\n');
  const svg = await startTool('profile', ['--svg', '/nonexistent-dir/x.svg', '1']).exited();
  assert.equal(svg.code, 2);
  assert.match(svg.stderr, /^bpfkit profile: --svg \/nonexistent-dir\/x\.svg: no such directory \/nonexistent-dir\n$/);
});

test('kallsyms: text symbols only, the nearest symbol at or below an address', () => {
  const k = KernelSymbols.parse([
    'ffffffff81000000 T _stext',
    'ffffffff81000100 t helper_one',
    'ffffffff81000200 D some_data',
    'ffffffffc0001000 t mod_func\t[some_mod]',
    '0000000000000000 A fixed_percpu_data',
  ].join('\n'));
  assert.equal(k.size, 3);
  assert.equal(k.lookup(0xffffffff81000150n), 'helper_one');
  assert.equal(k.lookup(0xffffffff81000250n), 'helper_one');
  assert.equal(k.lookup(0xffffffffc0001004n), 'mod_func');
  assert.equal(k.lookup(0xffffffff80000000n), undefined);
  assert.equal(k.lookup(0x401000n), undefined);
});

test('folding: comm first, user frames root first, then kernel frames; -d and -a as BCC', () => {
  const stack = (count: number, user: string[], kernel: string[]): ProfiledStack => ({
    pid: 10, tid: 0, comm: 'app', count,
    user: { frames: user.map((name, i) => ({ addr: BigInt(0x1000 + i), name })), missed: false },
    kernel: { frames: kernel.map((name, i) => ({ addr: 0xffffffff81000000n + BigInt(i), name })), missed: false },
  });
  const stacks = [stack(3, ['leaf', 'main'], ['do_sys', 'entry']), stack(5, ['leaf', 'main'], []), stack(2, ['leaf', 'main'], [])];
  const plain = foldStacks(stacks, { delimited: false, annotations: false });
  assert.deepEqual(plain, [{ line: 'app;main;leaf;entry;do_sys', count: 3 }, { line: 'app;main;leaf', count: 7 }]);
  const marked = foldStacks(stacks.slice(0, 1), { delimited: true, annotations: true });
  assert.deepEqual(marked, [{ line: 'app;main;leaf;-;entry_[k];do_sys_[k]', count: 3 }]);
  assert.equal(formatStack(stacks[0]!, { delimited: true, annotations: false }), [
    '    ffffffff81000000 do_sys', '    ffffffff81000001 entry', '    --',
    '    0000000000001000 leaf', '    0000000000001001 main', '    -                app (10)', '        3', '', '',
  ].join('\n'));
});
