// A benchmark run keeps going when one measurement fails: the failure is logged, recorded for the report and the
// JSON file, and the run exits 1 at the end.

export const log = (s: string): void => console.error(`bench: ${s}`);
export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Failures recorded so far, in order. */
export const failures: string[] = [];

/** Runs `f`, logging and recording a failure instead of throwing. */
export async function attempt<T>(what: string, f: () => Promise<T>): Promise<T | undefined> {
  try {
    return await f();
  } catch (err) {
    failures.push(`${what}: ${messageOf(err)}`);
    log(`FAILED ${what}: ${messageOf(err)}`);
    return undefined;
  }
}

/** Prints the failures under the report; returns the run's exit code. */
export function reportFailures(): number {
  if (failures.length === 0) return 0;
  console.log(`\n  ${failures.length} measurement(s) failed:`);
  for (const f of failures) console.log(`    ${f}`);
  return 1;
}
