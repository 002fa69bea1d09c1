// kprobe and kretprobe on Debian's 6.1 kernel (the host kernel has no kprobes): run by scripts/test-vm.sh.
import assert from 'node:assert/strict';
import { kprobe, kretprobe } from '../../src/kernel/attach/kprobe.js';
import { argOffset, RETURN_VALUE_OFFSET } from '../../src/kernel/attach/uprobe.js';
import { Program } from '../../src/kernel/program.js';
import { Errno } from '../../src/sys/errno.js';
import { ProgType } from '../../src/sys/constants.js';
import { kernelTest } from '../helpers/kernel.js';
import { countByKey, countsMap, MISSING_PATH, rawOpenat, times } from './programs.js';

const N = 5;
const DFD = 4242; // an absolute path ignores dfd, so any number passes through to do_sys_openat2 untouched

kernelTest('kprobe on do_sys_openat2 counts this thread\'s opens by their dfd argument and carries its cookie', () => {
  // Attaching opens sysfs files (the kprobe PMU's type) from this thread too: those carry dfd AT_FDCWD.
  using byDfd = countsMap();
  using byCookie = countsMap();
  using argProg = Program.load(countByKey('kp_dfd', ProgType.KPROBE, { ctxOffset: argOffset(0), int: true }), { maps: { counts: byDfd } });
  using cookieProg = Program.load(countByKey('kp_cookie', ProgType.KPROBE, 'cookie', { where: { ctxOffset: argOffset(0), int: true, equals: DFD } }), { maps: { counts: byCookie } });
  {
    using _arg = kprobe(argProg, 'do_sys_openat2');
    using _cookie = kprobe(cookieProg, 'do_sys_openat2', { cookie: 0xc0ffee });
    times(N, () => assert.equal(rawOpenat(MISSING_PATH, DFD), -Errno.ENOENT));
  }
  rawOpenat(MISSING_PATH, DFD); // after detach: must not count
  assert.equal(byDfd.lookup(BigInt(DFD)), BigInt(N));
  assert.deepEqual([...byCookie.entries()], [[0xc0ffeen, BigInt(N)]]);
});

kernelTest('kretprobe on do_sys_openat2 sees -ENOENT and a real fd as return values', () => {
  using byRet = countsMap();
  using prog = Program.load(countByKey('kret_ret', ProgType.KPROBE, { ctxOffset: RETURN_VALUE_OFFSET }), { maps: { counts: byRet } });
  let fd: number;
  {
    using _link = kretprobe(prog, 'do_sys_openat2');
    times(N, () => rawOpenat(MISSING_PATH));
    fd = rawOpenat('/proc/self/stat'); // closed at once, so the next open would reuse the number
    assert.ok(fd >= 0, `open /proc/self/stat: ${fd}`);
  }
  // Return probes cannot see the arguments, and node opens files on this thread by itself now and then: check
  // the counts of the values the test caused, not that nothing else happened.
  assert.equal(byRet.lookup(-BigInt(Errno.ENOENT)), BigInt(N));
  assert.ok((byRet.lookup(BigInt(fd)) ?? 0n) >= 1n, `fd ${fd} not seen as a return value`);
});
