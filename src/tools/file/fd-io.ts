// The kernel side of filetop. This kernel has no kprobes, so instead of vfs_read/vfs_write we watch the read and
// write syscall family: sys_enter remembers the fd per thread, sys_exit resolves fd → struct file through
// current->files->fdt->fd[fd] (probe_read_kernel at BTF offsets) and adds the call and its returned bytes to a hash
// map keyed by (inode, device, thread).
import { program, R0, R1, R2, R3, R4, R6, R7, R8, R9, FP, type ProgramBuilder, type Register } from '../../isa/builder.js';
import { Helper } from '../../isa/helpers.js';
import { MapType, UpdateFlags } from '../../sys/constants.js';
import type { CollectionSpec } from '../../spec/collection.js';
import { kernelOffset, syscallArgOffset, syscallNrOffset } from '../framework/kernel-types.js';
import { comm, cString } from '../framework/format.js';
import { tpBtfProgram } from '../framework/session.js';

/** x86-64: read, pread64, readv, preadv, preadv2 — all take the fd first. */
const READ_CALLS = [0, 17, 19, 295, 327];
/** x86-64: write, pwrite64, writev, pwritev, pwritev2. */
const WRITE_CALLS = [1, 18, 20, 296, 328];

export const NAME_SIZE = 64;
// Key: u64 inode, u32 dev, u32 tid.
const KEY_SIZE = 16;
// Value: u64 reads, writes, read_bytes, write_bytes; u32 pid, tid; u8 type (R/S/O); pad; char comm[16] @48;
// char name[NAME_SIZE] @64.
const VALUE_SIZE = 64 + NAME_SIZE;

// Stack of the exit program.
const PENDING_KEY = -8;
const SCRATCH = -16;
const SAVED_NR = -24;
const KEY = -40;
const VALUE = KEY - VALUE_SIZE;

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFSOCK = 0o140000;

export interface FileStat {
  pid: number;
  tid: number;
  comm: string;
  reads: number;
  writes: number;
  readBytes: number;
  writeBytes: number;
  /** 'R' regular, 'S' socket, 'O' other. */
  type: string;
  file: string;
}

export function decodeFileStat(v: Uint8Array): FileStat {
  const d = new DataView(v.buffer, v.byteOffset, v.byteLength);
  return {
    reads: Number(d.getBigUint64(0, true)),
    writes: Number(d.getBigUint64(8, true)),
    readBytes: Number(d.getBigUint64(16, true)),
    writeBytes: Number(d.getBigUint64(24, true)),
    pid: d.getUint32(32, true),
    tid: d.getUint32(36, true),
    type: String.fromCharCode(d.getUint8(40) || 0x4f),
    comm: comm(d, 48),
    file: cString(d, 64, NAME_SIZE),
  };
}

function enterProgram(pid: number | undefined) {
  const b = program();
  b.mov(R6, R1);
  b.ldx('dw', R7, R6, 8); // args[1]: syscall number
  for (const nr of READ_CALLS) b.jeq(R7, nr, 'read');
  for (const nr of WRITE_CALLS) b.jeq(R7, nr, 'write');
  b.ja('out');
  b.label('read').st('w', FP, -12, 0).ja('common');
  b.label('write').st('w', FP, -12, 1);
  b.label('common');
  b.call(Helper.get_current_pid_tgid);
  b.mov32(R1, R0).stx('dw', FP, -24, R1);
  if (pid !== undefined) b.rsh(R0, 32).jne(R0, pid, 'out');
  // Pending value: u32 fd, u32 is_write, u32 syscall nr, u32 pad.
  b.ldx('dw', R8, R6, 0); // args[0]: struct pt_regs *
  b.ldx('dw', R1, R8, syscallArgOffset(0)).stx('w', FP, -16, R1);
  b.stx('w', FP, -8, R7).st('w', FP, -4, 0);
  b.loadMap(R1, 'pending').mov(R2, FP).add(R2, -24).mov(R3, FP).add(R3, -16).mov(R4, 0).call(Helper.map_update_elem);
  b.label('out').mov(R0, 0).exit();
  return b.build();
}

/** dst = the `size` bytes at kernel address base+off; jumps to `fail` if unreadable. base must survive calls. */
function readKernel(b: ProgramBuilder, dst: Register, base: Register, off: number, size: 'dw' | 'w' | 'h', fail: string): void {
  const bytes = { dw: 8, w: 4, h: 2 }[size];
  b.mov(R1, FP).add(R1, SCRATCH).mov(R2, bytes).mov(R3, base);
  if (off !== 0) b.add(R3, off);
  b.call(Helper.probe_read_kernel).jne(R0, 0, fail).ldx(size, dst, FP, SCRATCH);
}

function exitProgram(allFiles: boolean) {
  const b = program();
  b.ldx('dw', R6, R1, 8); // args[1]: bytes done, or -errno
  b.ldx('dw', R8, R1, 0); // args[0]: struct pt_regs *
  b.ldx('dw', R8, R8, syscallNrOffset()).stx('dw', FP, SAVED_NR, R8);
  for (let off = VALUE; off < KEY + KEY_SIZE; off += 8) b.st('dw', FP, off, 0); // value and key
  b.call(Helper.get_current_pid_tgid).mov(R9, R0);
  b.stx('w', FP, KEY + 12, R9).stx('w', FP, VALUE + 36, R9);
  b.mov(R1, R9).rsh(R1, 32).stx('w', FP, VALUE + 32, R1);
  b.mov32(R1, R9).stx('dw', FP, PENDING_KEY, R1);
  b.loadMap(R1, 'pending').mov(R2, FP).add(R2, PENDING_KEY).call(Helper.map_lookup_elem);
  b.jeq(R0, 0, 'out');
  b.ldx('w', R9, R0, 0).ldx('w', R7, R0, 4).ldx('w', R8, R0, 8);
  b.loadMap(R1, 'pending').mov(R2, FP).add(R2, PENDING_KEY).call(Helper.map_delete_elem);
  // A stale entry from another syscall (the tool started mid-call) is dropped; so are failed calls.
  b.ldx('dw', R1, FP, SAVED_NR).jne(R1, R8, 'out');
  b.jslt(R6, 0, 'out');

  // current->files->fdt, bounds-checked against max_fds, then fd[fd] is the struct file.
  b.call(Helper.get_current_task).mov(R8, R0);
  readKernel(b, R8, R8, kernelOffset('task_struct', 'files'), 'dw', 'out');
  b.jeq(R8, 0, 'out');
  readKernel(b, R8, R8, kernelOffset('files_struct', 'fdt'), 'dw', 'out');
  b.jeq(R8, 0, 'out');
  readKernel(b, R1, R8, kernelOffset('fdtable', 'max_fds'), 'w', 'out');
  b.jge(R9, R1, 'out');
  readKernel(b, R8, R8, kernelOffset('fdtable', 'fd'), 'dw', 'out');
  b.lsh(R9, 3).add(R8, R9);
  readKernel(b, R9, R8, 0, 'dw', 'out');
  b.jeq(R9, 0, 'out'); // R9: struct file *

  // The inode: its type for the T column (and the regular-files-only default), its number and device for the key.
  readKernel(b, R8, R9, kernelOffset('file', 'f_inode'), 'dw', 'out');
  b.jeq(R8, 0, 'out');
  readKernel(b, R2, R8, kernelOffset('inode', 'i_mode'), 'h', 'out');
  b.and(R2, S_IFMT).mov(R1, 'R'.charCodeAt(0)).jeq(R2, S_IFREG, 'typed');
  if (allFiles) b.mov(R1, 'S'.charCodeAt(0)).jeq(R2, S_IFSOCK, 'typed').mov(R1, 'O'.charCodeAt(0));
  else b.ja('out');
  b.label('typed').stx('b', FP, VALUE + 40, R1);
  readKernel(b, R1, R8, kernelOffset('inode', 'i_ino'), 'dw', 'out');
  b.stx('dw', FP, KEY, R1);
  readKernel(b, R8, R8, kernelOffset('inode', 'i_sb'), 'dw', 'out');
  readKernel(b, R1, R8, kernelOffset('super_block', 's_dev'), 'w', 'out');
  b.stx('w', FP, KEY + 8, R1);

  // The file's name: f_path.dentry->d_name.name.
  readKernel(b, R8, R9, kernelOffset('file', 'f_path') + kernelOffset('path', 'dentry'), 'dw', 'out');
  readKernel(b, R3, R8, kernelOffset('dentry', 'd_name') + kernelOffset('qstr', 'name'), 'dw', 'out');
  b.mov(R1, FP).add(R1, VALUE + 64).mov(R2, NAME_SIZE).call(Helper.probe_read_kernel_str);
  b.mov(R1, FP).add(R1, VALUE + 48).mov(R2, 16).call(Helper.get_current_comm);

  // Insert a zeroed entry if this (file, thread) is new, then count atomically (other CPUs may share the key).
  b.loadMap(R1, 'stats').mov(R2, FP).add(R2, KEY).mov(R3, FP).add(R3, VALUE).mov(R4, UpdateFlags.NOEXIST).call(Helper.map_update_elem);
  b.loadMap(R1, 'stats').mov(R2, FP).add(R2, KEY).call(Helper.map_lookup_elem);
  b.jeq(R0, 0, 'out');
  b.mov(R1, 1);
  b.jne(R7, 0, 'count_write');
  b.atomic('dw', 'add', R0, 0, R1).atomic('dw', 'add', R0, 16, R6).ja('out');
  b.label('count_write');
  b.atomic('dw', 'add', R0, 8, R1).atomic('dw', 'add', R0, 24, R6);
  b.label('out').mov(R0, 0).exit();
  return b.build();
}

/** Maps and programs: io_enter on sys_enter, io_exit on sys_exit (attach the exit first). */
export function fdIoSpec(opts: { pid?: number; allFiles: boolean }): CollectionSpec {
  return {
    maps: {
      pending: { name: 'pending', type: MapType.HASH, keySize: 8, valueSize: 16, maxEntries: 10240 },
      stats: { name: 'stats', type: MapType.HASH, keySize: KEY_SIZE, valueSize: VALUE_SIZE, maxEntries: 10240 },
    },
    programs: {
      io_enter: tpBtfProgram('io_enter', 'sys_enter', enterProgram(opts.pid)),
      io_exit: tpBtfProgram('io_exit', 'sys_exit', exitProgram(opts.allFiles)),
    },
  };
}
