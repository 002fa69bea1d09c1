// --cgroup / -c for every tool: only tasks in a cgroup v2 directory or below it count, as in libbpf-tools. The
// program asks bpf_current_task_under_cgroup() against a one-slot cgroup array holding the directory's fd.
import { closeSync, openSync, statSync } from 'node:fs';
import type { ProgramBuilder } from '../../isa/builder.js';
import { R0, R1, R2 } from '../../isa/builder.js';
import { Helper } from '../../isa/helpers.js';
import { cgroup2Mount } from '../../kernel/attach/cgroup.js';
import type { MapSpec } from '../../spec/collection.js';
import { MapType } from '../../sys/constants.js';
import { ToolUsageError, type ToolContext } from './tool.js';

export const CGROUP_MAP = 'cgroup_filter';

/**
 * The --cgroup filter map: a cgroup array holding the directory's fd, so bpf_current_task_under_cgroup() keeps
 * tasks in that cgroup v2 directory or below it (as libbpf-tools do). The fd is closed once the map is loaded.
 */
export function cgroupFilterMap(ctx: ToolContext, path: string): MapSpec {
  let fd: number;
  try {
    if (!statSync(path).isDirectory()) throw new Error('not a directory');
    fd = openSync(path, 'r');
  } catch (err) {
    throw new ToolUsageError(`--cgroup ${path}: ${err instanceof Error ? err.message : String(err)} (expected a cgroup v2 directory${hint()})`);
  }
  ctx.defer(() => closeSync(fd));
  const value = new Uint8Array(4);
  new DataView(value.buffer).setUint32(0, fd, true);
  return { name: CGROUP_MAP, type: MapType.CGROUP_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, contents: [[new Uint8Array(4), value]] };
}

/** Jumps to `skip` unless the current task is in the --cgroup directory (or below it). Clobbers R0-R5. */
export function emitCgroupFilter(b: ProgramBuilder, skip: string): void {
  b.loadMap(R1, CGROUP_MAP).mov(R2, 0).call(Helper.current_task_under_cgroup).jne(R0, 1, skip);
}

/** The filter map keyed by its name, or no maps without a cgroup: spread into a spec's maps. */
export function cgroupFilterMaps(ctx: ToolContext, path: string | undefined): Record<string, MapSpec> {
  return path === undefined ? {} : { [CGROUP_MAP]: cgroupFilterMap(ctx, path) };
}

/** Where this machine mounts cgroup v2, for the error message (only read when the path is wrong). */
function hint(): string {
  const mount = cgroup2Mount();
  return mount ? `, e.g. under ${mount}` : '';
}
