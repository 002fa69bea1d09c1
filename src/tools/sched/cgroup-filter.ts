// -c CGROUP for the scheduler tools: only tasks inside a cgroup v2 directory (or below it) count. The program asks
// bpf_current_task_under_cgroup() against a one-slot cgroup array that user space fills with the directory's fd.
import { closeSync, openSync } from 'node:fs';
import { R0, R1, R2, type ProgramBuilder } from '../../isa/builder.js';
import { Helper } from '../../isa/helpers.js';
import type { MapSpec } from '../../spec/collection.js';
import { MapType } from '../../sys/constants.js';
import type { ToolSession } from '../framework/session.js';

export const CGROUP_MAP = 'cgroup_map';

export function cgroupMapSpec(): MapSpec {
  return { name: CGROUP_MAP, type: MapType.CGROUP_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 };
}

/** Jumps to `skip` unless the current task is in the cgroup (clobbers R0-R5). */
export function emitCgroupFilter(b: ProgramBuilder, skip: string): void {
  b.loadMap(R1, CGROUP_MAP).mov(R2, 0).call(Helper.current_task_under_cgroup).jne(R0, 1, skip);
}

/** Puts the cgroup directory `path` in the session's cgroup map; a clear error if it is not a cgroup v2 directory. */
export function setCgroupFilter(session: ToolSession, path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new Error(`cannot open cgroup ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    const value = new Uint8Array(4);
    new DataView(value.buffer).setUint32(0, fd, true);
    session.map(CGROUP_MAP).update(new Uint8Array(4), value);
  } catch {
    throw new Error(`${path} is not a cgroup v2 directory`);
  } finally {
    closeSync(fd);
  }
}
