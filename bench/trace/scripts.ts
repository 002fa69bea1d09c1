// The bpftrace scripts both tools run. Each prints "ready" from BEGIN, which both run only once every probe is
// attached: the harness times launch → that line.

export interface BenchScript {
  /** Short name used in the table and the JSON. */
  name: string;
  text: string;
  /** How many probes it attaches (for the labels). */
  probes: number;
}

const READY = 'BEGIN { printf("ready\\n"); }';

/** The 20 syscall entry tracepoints of the 20-probe script (all exist on any recent x86-64 kernel). */
const TWENTY_SYSCALLS = [
  'read', 'write', 'openat', 'close', 'newfstatat', 'mmap', 'munmap', 'brk', 'ioctl', 'pread64',
  'pwrite64', 'readv', 'writev', 'pipe2', 'dup3', 'fcntl', 'getdents64', 'nanosleep', 'clock_nanosleep', 'futex',
];

export const trivial: BenchScript = {
  name: 'trivial',
  text: 'BEGIN { printf("ready\\n"); exit(); }',
  probes: 1,
};

/** biolatency.bt's shape: issue → complete latency keyed by device and sector, as a histogram. */
export const biolatency: BenchScript = {
  name: 'biolatency',
  text: `${READY}
tracepoint:block:block_rq_issue { @start[args->dev, args->sector] = nsecs; }
tracepoint:block:block_rq_complete /@start[args->dev, args->sector]/ {
  @usecs = hist((nsecs - @start[args->dev, args->sector]) / 1000);
  delete(@start[args->dev, args->sector]);
}
END { clear(@start); }`,
  probes: 4,
};

/** runqlat.bt's shape using tracepoint args only (runqlat.bt itself needs kernel headers for task_struct). */
export const runqlat: BenchScript = {
  name: 'runqlat',
  text: `${READY}
tracepoint:sched:sched_wakeup, tracepoint:sched:sched_wakeup_new { @qtime[args->pid] = nsecs; }
tracepoint:sched:sched_switch {
  if (args->prev_state == 0) { @qtime[args->prev_pid] = nsecs; }
  $ns = @qtime[args->next_pid];
  if ($ns) { @usecs = hist((nsecs - $ns) / 1000); }
  delete(@qtime[args->next_pid]);
}
END { clear(@qtime); }`,
  probes: 5,
};

export const twentyProbes: BenchScript = {
  name: '20 probes',
  text: `${READY}
${TWENTY_SYSCALLS.map((s) => `tracepoint:syscalls:sys_enter_${s}`).join(',\n')} { @[probe] = count(); }`,
  probes: 21,
};

/** Every syscall entry tracepoint (~361 here). */
export const allSyscalls: BenchScript = {
  name: 'sys_enter_*',
  text: `${READY}
tracepoint:syscalls:sys_enter_* { @[probe] = count(); }`,
  probes: 0, // counted at run time from the "Attaching N probes..." line
};

/** printf throughput: one line per getpid() of the driving loop, whose pid is $1. */
export const printfGetpid: BenchScript = {
  name: 'printf',
  text: `${READY}
tracepoint:syscalls:sys_enter_getpid /pid == $1/ { printf("%d\\n", pid); }`,
  probes: 2,
};

/** In-kernel cost: the classic per-comm syscall counter, on every getpid() of the machine. */
export const countGetpid: BenchScript = {
  name: 'count',
  text: `${READY}
tracepoint:syscalls:sys_enter_getpid { @[comm] = count(); }`,
  probes: 2,
};
