// Profiled stacks as profile prints them: BCC's multi-line form (leaf first, then "-  comm (pid)" and the count),
// the folded form for flame graphs ("comm;root;...;leaf count"), and JSON.

export interface Frame {
  addr: bigint;
  /** The function name, or "[unknown]". */
  name: string;
}

/** One half of a sampled stack. */
export interface StackHalf {
  /** Leaf first. Empty when the task had no such stack (user stack of a kernel thread, kernel stack in user mode). */
  frames: Frame[];
  /** bpf_get_stackid failed (map full, hash collision): the frames are lost. */
  missed: boolean;
}

export interface ProfiledStack {
  pid: number;
  /** Only with -L (per-thread keys); 0 otherwise. */
  tid: number;
  comm: string;
  count: number;
  /** Undefined when not sampled (-U leaves out kernel stacks, -K user ones). */
  kernel?: StackHalf;
  user?: StackHalf;
}

export interface FormatOptions {
  /** -d: a delimiter between the kernel and the user part. */
  delimited: boolean;
  /** -a: "_[k]" after kernel frame names in folded output. */
  annotations: boolean;
}

export const UNKNOWN = '[unknown]';

/** Fewest samples first, as BCC prints (the hottest stacks end up at the bottom, next to the prompt). */
export function byCount(stacks: ProfiledStack[]): ProfiledStack[] {
  return [...stacks].sort((a, b) => a.count - b.count || a.pid - b.pid);
}

/** Both halves present and non-empty: only then does a delimiter separate something. */
function bothHalves(s: ProfiledStack): boolean {
  return !!s.kernel && !!s.user && !s.kernel.missed && !s.user.missed && s.kernel.frames.length > 0 && s.user.frames.length > 0;
}

const hex16 = (addr: bigint) => addr.toString(16).padStart(16, '0');

/** BCC's default output for one stack (ends with a blank line). */
export function formatStack(s: ProfiledStack, o: FormatOptions): string {
  const lines: string[] = [];
  if (s.kernel) {
    if (s.kernel.missed) lines.push('    [Missed Kernel Stack]');
    else for (const f of s.kernel.frames) lines.push(`    ${hex16(f.addr)} ${f.name}`);
  }
  if (s.user) {
    if (o.delimited && bothHalves(s)) lines.push('    --');
    if (s.user.missed) lines.push('    [Missed User Stack]');
    else for (const f of s.user.frames) lines.push(`    ${hex16(f.addr)} ${f.name}`);
  }
  lines.push(`    ${'-'.padEnd(16)} ${s.comm} (${s.tid && s.tid !== s.pid ? `${s.pid}/${s.tid}` : s.pid})`);
  lines.push(`        ${s.count}`, '');
  return lines.join('\n') + '\n';
}

/** The folded frames of one stack, root first, starting with comm. */
function foldedFrames(s: ProfiledStack, o: FormatOptions): string[] {
  const out = [s.comm];
  if (s.user) {
    if (s.user.missed) out.push('[Missed User Stack]');
    else for (let i = s.user.frames.length - 1; i >= 0; i--) out.push(s.user.frames[i]!.name);
  }
  if (s.kernel) {
    if (o.delimited && bothHalves(s)) out.push('-');
    if (s.kernel.missed) out.push('[Missed Kernel Stack]');
    else for (let i = s.kernel.frames.length - 1; i >= 0; i--) out.push(o.annotations ? `${s.kernel.frames[i]!.name}_[k]` : s.kernel.frames[i]!.name);
  }
  // ';' separates frames and the last space separates the count: keep both out of names.
  return out.map((f) => f.replace(/;/g, ':').replace(/\s+$/, ''));
}

/**
 * Folded lines ("comm;root;...;leaf count"), identical stacks of different processes merged, fewest samples first.
 */
export function foldStacks(stacks: ProfiledStack[], o: FormatOptions): Array<{ line: string; count: number }> {
  const merged = new Map<string, number>();
  for (const s of stacks) {
    const key = foldedFrames(s, o).join(';');
    merged.set(key, (merged.get(key) ?? 0) + s.count);
  }
  return [...merged.entries()].map(([line, count]) => ({ line, count })).sort((a, b) => a.count - b.count);
}

/** The --json record of one stack (frames leaf first, like the default output). */
export function stackJson(s: ProfiledStack): Record<string, unknown> {
  const rec: Record<string, unknown> = { pid: s.pid };
  if (s.tid) rec.tid = s.tid;
  rec.comm = s.comm;
  rec.count = s.count;
  rec.kernel_stack = s.kernel?.frames.map((f) => f.name) ?? [];
  rec.user_stack = s.user?.frames.map((f) => f.name) ?? [];
  if (s.kernel?.missed) rec.kernel_stack_missed = true;
  if (s.user?.missed) rec.user_stack_missed = true;
  return rec;
}
