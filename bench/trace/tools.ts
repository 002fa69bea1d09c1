// The two tracers compared (bpfkit trace, bpftrace 0.17) and the C helpers the harness builds for the run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Tool {
  name: 'bpfkit' | 'bpftrace';
  /** argv that runs `script` with positional parameters `args`. */
  command(script: string, args?: string[]): string[];
  /** How it is run, for the report. */
  describe: string;
  /** bpfkit: the script node runs. */
  entry?: string;
  /** Its environment. */
  env: NodeJS.ProcessEnv;
}

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root, whether we run from bench/trace/ or dist/bench/trace/. */
export const repoRoot = [resolve(here, '../..'), resolve(here, '../../..')].find((d) => existsSync(join(d, 'package.json')))
  ?? resolve(here, '../../..');

export const BPFTRACE = process.env.BPFTRACE ?? '/usr/bin/bpftrace';

export function bpftraceTool(): Tool {
  return {
    name: 'bpftrace',
    command: (script, args = []) => [BPFTRACE, '-e', script, ...args],
    describe: BPFTRACE,
    env: process.env,
  };
}

/**
 * bpfkit as users run it: the bundled command line (dist/bpfkit.mjs, package.json's "bin") when it exists, else
 * the module tree (dist/src/cli/main.js). `entry` overrides.
 */
export function bpfkitTool(entry?: string): Tool {
  const bundle = join(repoRoot, 'dist/bpfkit.mjs');
  const modules = join(repoRoot, 'dist/src/cli/main.js');
  const path = entry ? resolve(entry) : existsSync(bundle) ? bundle : modules;
  return {
    name: 'bpfkit',
    command: (script, args = []) => [process.execPath, path, 'trace', '-e', script, ...args],
    describe: `node ${path.startsWith(repoRoot) ? path.slice(repoRoot.length + 1) : path} trace`,
    // The runtime's own timings (load, attach, BEGIN, detach) on stderr at exit, for the start-up breakdown.
    env: { ...process.env, BPFKIT_TRACE_TIMINGS: '1' },
    entry: path,
  };
}

/** A warning when the bundle is older than the compiled modules it is built from (a stale `npm run build`). */
export function staleBundleWarning(tool: Tool): string | undefined {
  const bundle = join(repoRoot, 'dist/bpfkit.mjs');
  if (!tool.describe.includes('bpfkit.mjs') || !existsSync(bundle)) return undefined;
  const newest = newestMtime(join(repoRoot, 'dist/src/trace'));
  return newest > statSync(bundle).mtimeMs + 1000
    ? 'dist/bpfkit.mjs is older than dist/src/trace/: run `npm run build` (or pass --bpfkit-entry dist/src/cli/main.js)'
    : undefined;
}

function newestMtime(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : e.name.endsWith('.js') ? statSync(p).mtimeMs : 0);
  }
  return newest;
}

export function bpftraceVersion(): string | undefined {
  if (!existsSync(BPFTRACE)) return undefined;
  const r = spawnSync(BPFTRACE, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** bench/trace/c/ in the source tree. */
function cSourceDir(): string {
  for (const dir of [join(here, 'c'), join(repoRoot, 'bench/trace/c')]) if (existsSync(join(dir, 'wrap.c'))) return dir;
  throw new Error('bench: cannot find bench/trace/c/ (the C helpers)');
}

/** The C helpers, compiled into a temporary directory removed on dispose. */
export class Helpers implements Disposable {
  readonly dir = mkdtempSync(join(tmpdir(), 'bpfkit-trace-bench-'));
  readonly wrap: string;
  readonly getpidLoop: string;

  constructor() {
    try {
      this.wrap = this.#compile('wrap');
      this.getpidLoop = this.#compile('getpid_loop');
    } catch (err) {
      this[Symbol.dispose]();
      throw err;
    }
  }

  #compile(name: string): string {
    const out = join(this.dir, name);
    const cc = process.env.CC ?? 'gcc';
    const r = spawnSync(cc, ['-O2', '-Wall', '-o', out, join(cSourceDir(), `${name}.c`)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bench: ${cc} failed on ${name}.c:\n${r.stderr}${r.error ?? ''}`);
    return out;
  }

  [Symbol.dispose](): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
