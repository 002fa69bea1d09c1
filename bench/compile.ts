// Builds the benchmark's C baselines into a temporary directory (never committed as binaries).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/c/ in the source tree, whether we run from bench/ or dist/bench/. */
export function cSourceDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['.', '../../bench']) {
    const dir = join(here, up, 'c');
    if (existsSync(join(dir, 'maps.c'))) return dir;
  }
  throw new Error('bench: cannot find bench/c/ (the C baselines)');
}

export class CBuild implements Disposable {
  readonly dir = mkdtempSync(join(tmpdir(), 'bpfkit-bench-'));

  /** Compiles bench/c/<name>.c to an executable and returns its path. */
  compile(name: string, libs: string[] = []): string {
    const out = join(this.dir, name);
    const compiler = process.env.CC ?? 'gcc';
    const r = spawnSync(compiler, ['-O2', '-Wall', '-o', out, join(cSourceDir(), `${name}.c`), ...libs], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bench: ${compiler} failed on ${name}.c:\n${r.stderr}${r.error ?? ''}`);
    return out;
  }

  [Symbol.dispose](): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
