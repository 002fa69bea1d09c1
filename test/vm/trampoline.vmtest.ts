// fentry, fexit, fmod_ret and BPF LSM on Debian's 6.1 kernel (the host kernel refuses trampoline programs at
// load): run by scripts/test-vm.sh.
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BtfKind, vmlinuxNames } from '../../src/btf/vmlinux-names.js';
import { program, R0, R1, R2, R6 } from '../../src/isa/builder.js';
import { attachTracing, fentry, fentryTarget, fexit, fexitTarget, fmodRet, fmodRetTarget, lsm, lsmTarget } from '../../src/kernel/attach/tracing.js';
import { Program } from '../../src/kernel/program.js';
import { AttachType } from '../../src/sys/constants.js';
import { Errno } from '../../src/sys/errno.js';
import { native } from '../../src/sys/native.js';
import { kernelTest } from '../helpers/kernel.js';
import { countByKey, countsMap, MISSING_PATH, onlyThisThread, rawOpenat, times } from './programs.js';

const N = 5;
const DFD = 4242;
// do_sys_openat2(int dfd, const char __user *filename, struct open_how *how): trampoline ctx is one u64 per
// argument, then (fexit) the return value.
const DFD_ARG = 0;
const OPENAT2_RETURN = 3 * 8;

kernelTest('fentry on do_sys_openat2 counts this thread\'s opens by their dfd argument and carries its cookie', () => {
  using byDfd = countsMap();
  using byCookie = countsMap();
  const target = fentryTarget('do_sys_openat2');
  const where = { ctxOffset: DFD_ARG, int: true, equals: DFD };
  using prog = Program.load(countByKey('fentry_dfd', target.type, { ctxOffset: DFD_ARG, int: true }, target), { maps: { counts: byDfd } });
  using cookieProg = Program.load(countByKey('fentry_cookie', target.type, 'cookie', { where, ...target }), { maps: { counts: byCookie } });
  {
    using _link = fentry(prog, 'do_sys_openat2');
    using _cookie = attachTracing(cookieProg, AttachType.TRACE_FENTRY, 'fentry do_sys_openat2', 0xfeed);
    times(N, () => rawOpenat(MISSING_PATH, DFD));
  }
  rawOpenat(MISSING_PATH, DFD); // after detach: must not count
  assert.equal(byDfd.lookup(BigInt(DFD)), BigInt(N));
  assert.deepEqual([...byCookie.entries()], [[0xfeedn, BigInt(N)]]);
});

kernelTest('fexit on do_sys_openat2 sees -ENOENT as the return value', () => {
  using byRet = countsMap();
  const target = fexitTarget('do_sys_openat2');
  // fexit sees the arguments too: count only the opens made with the marker dfd (node opens files on its own).
  const where = { ctxOffset: DFD_ARG, int: true, equals: DFD };
  using prog = Program.load(countByKey('fexit_ret', target.type, { ctxOffset: OPENAT2_RETURN }, { where, ...target }), { maps: { counts: byRet } });
  {
    using _link = fexit(prog, 'do_sys_openat2');
    times(N, () => rawOpenat(MISSING_PATH, DFD));
  }
  assert.deepEqual([...byRet.entries()], [[-BigInt(Errno.ENOENT), BigInt(N)]]);
});

kernelTest('fmod_ret on security_task_getsid makes this thread\'s getsid() fail with the returned errno', () => {
  // Debian's 6.1 has no CONFIG_FUNCTION_ERROR_INJECTION, so only security_* functions are modifiable there.
  const realSid = getsid();
  assert.ok(realSid >= 0, `getsid: ${realSid}`); // 0 in the VM: the guest init's session
  const p = program();
  onlyThisThread(p);
  p.mov(R0, -Errno.EXDEV).exit().label('out').mov(R0, 0).exit();
  using prog = Program.load({ name: 'fmodret_getsid', license: 'GPL', instructions: p.build(), ...fmodRetTarget('security_task_getsid') });
  {
    using _link = fmodRet(prog, 'security_task_getsid');
    assert.equal(getsid(), -Errno.EXDEV);
  }
  assert.equal(getsid(), realSid);
});

kernelTest('BPF LSM on file_open denies a marker file with EPERM until the link is closed', () => {
  const names = vmlinuxNames()!;
  const fInode = names.memberOffset(names.find(BtfKind.STRUCT, 'file')!, 'f_inode');
  const iIno = names.memberOffset(names.find(BtfKind.STRUCT, 'inode')!, 'i_ino');
  assert.ok(fInode !== undefined && iIno !== undefined, 'struct file.f_inode / inode.i_ino offsets from BTF');
  // tmpfs reports i_ino as st_ino (an overlayfs root, as in the VM, may not): prefer /dev/shm.
  const base = statSafe('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(base, 'bpfkit-lsm-'));
  try {
    const marker = join(dir, 'marker');
    const other = join(dir, 'other');
    writeFileSync(marker, 'x');
    writeFileSync(other, 'y');
    const ino = statSync(marker, { bigint: true }).ino;
    // if (this thread && file->f_inode->i_ino == ino) return -EPERM; return 0;
    const p = program().mov(R6, R1);
    onlyThisThread(p);
    p.ldx('dw', R1, R6, 0).ldx('dw', R1, R1, fInode).ldx('dw', R1, R1, iIno)
      .lddw(R2, ino).jne(R1, R2, 'out')
      .mov(R0, -Errno.EPERM).exit()
      .label('out').mov(R0, 0).exit();
    using prog = Program.load({ name: 'lsm_deny', license: 'GPL', instructions: p.build(), ...lsmTarget('file_open') });
    const link = lsm(prog, 'file_open');
    try {
      assert.throws(() => closeSync(openSync(marker, 'r')), (err: NodeJS.ErrnoException) => err.code === 'EPERM');
      closeSync(openSync(other, 'r')); // only the marker is denied
    } finally {
      link.close();
    }
    closeSync(openSync(marker, 'r')); // closing the link lifts the denial
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const SYS_GETSID = 124;
/** getsid(own pid) straight from this thread: the session id or -errno (getsid(0) skips the security hook). */
const getsid = () => Number(native.syscall(SYS_GETSID, process.pid));

function statSafe(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
