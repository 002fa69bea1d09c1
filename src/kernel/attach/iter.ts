// BPF iterators: a TRACING program (expected attach TRACE_ITER, attach_btf_id = FUNC bpf_iter_<target>) linked
// with LINK_CREATE; each ITER_CREATE on the link gives a fresh fd whose read() runs the program over the objects
// (tasks, maps, ...) and returns what it printed with bpf_seq_printf / bpf_seq_write.
import { readSync } from 'node:fs';
import { BtfKind, vmlinuxNames } from '../../btf/vmlinux-names.js';
import { bpf, u32Attr } from '../../sys/bpf.js';
import { AttachType, BpfCmd, ProgType } from '../../sys/constants.js';
import { Errno } from '../../sys/errno.js';
import { NotSupportedError } from '../../sys/errors.js';
import { FileDescriptor } from '../fd.js';
import { createLink, Link } from '../link.js';
import type { AttachableProgram } from './perf-event.js';
import type { TracingTarget } from './tp-btf.js';
import { FunctionNotFoundError } from './tracing.js';

/** Spec fields for an iterator program over `target` ('task', 'bpf_map', 'tcp', ...). */
export function iterTarget(target: string): TracingTarget {
  const names = vmlinuxNames();
  if (!names) throw new NotSupportedError(`iter/${target}: this kernel exposes no BTF (/sys/kernel/btf/vmlinux is missing)`, Errno.ENOENT);
  const id = names.find(BtfKind.FUNC, `bpf_iter_${target}`);
  if (id === undefined) throw new FunctionNotFoundError(`iter/${target}: this kernel has no '${target}' iterator (no BTF function bpf_iter_${target})`, Errno.ENOENT);
  return { type: ProgType.TRACING, expectedAttachType: AttachType.TRACE_ITER, attachBtfId: id, attachTo: target };
}

export interface IterOptions {
  /** Only this map (map element iterators). */
  mapFd?: number;
  /** Task iterators: one thread, one process, or the process behind a pidfd. */
  task?: { tid?: number; pid?: number; pidFd?: number };
  /** Raw union bpf_iter_link_info bytes, for targets the options above don't cover. */
  info?: Uint8Array;
  /** Names the link in messages (default: the program's name). */
  target?: string;
}

/** An iterator link: every open() starts a new pass over the objects. */
export class IterLink extends Link {
  /** A new iterator instance; read it to EOF. The caller owns (and closes) the fd. */
  open(): FileDescriptor {
    if (!this.fd) throw new TypeError(`${this.description} has no link fd`);
    const fd = bpf(BpfCmd.ITER_CREATE, u32Attr(this.fd.value), `create iterator (${this.description})`);
    return new FileDescriptor(fd, `iterator (${this.description})`);
  }

  /** Runs one full pass and returns everything the program wrote. */
  readAll(): Uint8Array {
    using fd = this.open();
    return readToEnd(fd.value);
  }

  /** readAll() as UTF-8 text. */
  readText(): string {
    return Buffer.from(this.readAll()).toString('utf8');
  }
}

export function iter(prog: AttachableProgram, opts: IterOptions = {}): IterLink {
  if (prog.type !== undefined && prog.type !== ProgType.TRACING) {
    throw new TypeError(`iterators run TRACING programs; '${prog.name ?? 'program'}' is ${ProgType[prog.type] ?? prog.type}`);
  }
  const info = opts.info ?? iterInfo(opts);
  const description = `iter ${opts.target ?? prog.name ?? ''}`.trimEnd();
  const link = createLink(prog.fd.value, 0, AttachType.TRACE_ITER, description, {
    extra: (a) => a.ptr(16, info).u32(24, info?.byteLength ?? 0),
  });
  // Re-wrap as an IterLink; the fd moves over unchanged.
  return new IterLink(link.fd, description);
}

/** union bpf_iter_link_info: map {map_fd} | task {tid, pid, pid_fd}. */
function iterInfo(opts: IterOptions): Uint8Array | undefined {
  if (opts.mapFd !== undefined && opts.task) throw new TypeError('iter: give mapFd or task, not both');
  if (opts.mapFd !== undefined) {
    const b = new Uint8Array(16);
    new DataView(b.buffer).setUint32(0, opts.mapFd, true);
    return b;
  }
  if (opts.task) {
    const b = new Uint8Array(16);
    const v = new DataView(b.buffer);
    v.setUint32(0, opts.task.tid ?? 0, true);
    v.setUint32(4, opts.task.pid ?? 0, true);
    v.setUint32(8, opts.task.pidFd ?? 0, true);
    return b;
  }
  return undefined;
}

/** read() an fd until EOF (iterator fds, and other raw fds). */
export function readToEnd(fd: number): Uint8Array {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(64 * 1024);
    let n: number;
    try {
      n = readSync(fd, chunk, 0, chunk.length, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN' || (err as NodeJS.ErrnoException).code === 'EINTR') continue;
      throw err;
    }
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}
