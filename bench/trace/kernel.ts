// What a tracer has loaded into the kernel, seen from outside: its programs (found through the fds it holds, so no
// guessing by name), their size, and whether they are gone yet.
import { readdirSync, readFileSync } from 'node:fs';
import { programInfo, type ProgramInfo } from '../../src/kernel/info.js';
import { bpfRaw, idAttr } from '../../src/sys/bpf.js';
import { BpfCmd } from '../../src/sys/constants.js';
import { native } from '../../src/sys/native.js';

const SYS_close = 3;

/** Ids of the BPF programs process `pid` holds an fd to (from /proc/PID/fdinfo). */
export function programIdsOf(pid: number): number[] {
  const ids = new Set<number>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fdinfo`);
  } catch {
    return [];
  }
  for (const fd of fds) {
    try {
      const m = /^prog_id:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (m) ids.add(Number(m[1]));
    } catch {
      // closed meanwhile
    }
  }
  return [...ids];
}

/** The program's info, or undefined once it is unloaded. */
export function programById(id: number): ProgramInfo | undefined {
  const fd = bpfRaw(BpfCmd.PROG_GET_FD_BY_ID, idAttr(id));
  if (fd < 0) return undefined;
  try {
    return programInfo(fd);
  } finally {
    native.syscall(SYS_close, fd);
  }
}

export function anyProgramLoaded(ids: readonly number[]): boolean {
  for (const id of ids) {
    const fd = bpfRaw(BpfCmd.PROG_GET_FD_BY_ID, idAttr(id));
    if (fd >= 0) {
      native.syscall(SYS_close, fd);
      return true;
    }
  }
  return false;
}

/**
 * Whether a process named `true` is still around: bpfkit hands slow-to-release perf event fds to a throwaway
 * `/bin/true` (src/trace/runtime/release.ts) whose exit lasts until the kernel has torn them all down. Until then the
 * kernel is busy (and serialises tracepoint attach work), so the next measurement must wait.
 */
export function releaseHelperRunning(): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8') === 'true\n') return true;
    } catch {
      // gone
    }
  }
  return false;
}
