// Text helpers for tool output: comm strings and wall-clock stamps from kernel time.
const decoder = new TextDecoder();

/** A NUL-terminated string of at most `size` bytes at `offset` (comm, paths). */
export function cString(view: DataView, offset: number, size: number): string {
  const bytes = new Uint8Array(view.buffer, view.byteOffset + offset, Math.min(size, view.byteLength - offset));
  const end = bytes.indexOf(0);
  return decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** A task's 16-byte comm at `offset`. */
export function comm(view: DataView, offset: number): string {
  return cString(view, offset, 16);
}

/**
 * Nanoseconds to add to bpf_ktime_get_ns() (CLOCK_MONOTONIC) to get Unix time. Measured once at start: good to a
 * few microseconds, which is all a printed clock needs.
 */
export function bootTimeOffsetNs(): bigint {
  // process.hrtime reads CLOCK_MONOTONIC on Linux, the clock bpf_ktime_get_ns() reads.
  return BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
}

/** HH:MM:SS in local time, as libbpf-tools print with -t/-T. */
export function formatClock(unixNs: bigint): string {
  const d = new Date(Number(unixNs / 1_000_000n));
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** HH:MM:SS of now. */
export function clockNow(): string {
  return formatClock(BigInt(Date.now()) * 1_000_000n);
}
