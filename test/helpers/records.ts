// Shared by the reader tests: the u64 sequence number a producer writes, and polling for a condition on timers.

/** The little-endian u64 sequence number at the start of a record (exact below 2^53). */
export function seqOf(record: Uint8Array): number {
  const v = new DataView(record.buffer, record.byteOffset, record.byteLength);
  return v.getUint32(0, true) + v.getUint32(4, true) * 0x100000000;
}

/** Resolves when check() holds, polling on timers (never blocking the loop); rejects after ms. */
export function until(check: () => boolean, ms: number, what: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + ms;
    const tick = () => {
      if (check()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out: ${what()}`));
      else setTimeout(tick, 5);
    };
    tick();
  });
}
