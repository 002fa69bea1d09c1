// Kernel tests need root. Without it they skip and say why; under CI=true a skip is a failure.
import { test, type TestContext } from 'node:test';

export const isRoot = process.getuid?.() === 0;
export const inCI = process.env.CI === 'true';

type Body = (t: TestContext) => void | Promise<void>;

export function kernelTest(name: string, body: Body): void;
export function kernelTest(name: string, options: { timeout?: number }, body: Body): void;
export function kernelTest(name: string, a: Body | { timeout?: number }, b?: Body): void {
  const body = typeof a === 'function' ? a : b!;
  const options = typeof a === 'function' ? {} : a;
  test(name, options, async (t) => {
    if (!isRoot) {
      const why = 'needs root (bpf() is limited to root here: unprivileged_bpf_disabled)';
      if (inCI) throw new Error(`kernel test cannot run under CI: ${why}`);
      t.skip(why);
      return;
    }
    await body(t);
  });
}

/** Skips (or, under CI, fails) a kernel test for a reason found at run time. */
export function skipOrFail(t: TestContext, why: string): void {
  if (inCI) throw new Error(`kernel test skipped under CI: ${why}`);
  t.skip(why);
}
