// The two implementations compared: bpfkit's classic tools as users run them (`node dist/bpfkit.mjs <tool>`) and
// the Debian libbpf-tools binaries of the same name in /usr/sbin. Which tools each one has right now.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from '../trace/tools.js';

export type ImplName = 'bpfkit' | 'libbpf-tools';

export interface Impl {
  name: ImplName;
  /** argv that runs `tool` with `args`. */
  command(tool: string, args?: string[]): string[];
  /** Why `tool` cannot be run by this implementation, or undefined when it can. */
  missing(tool: string): string | undefined;
  /** Its environment, for runs that need the first line right away (start-up). */
  lineBufferedEnv: NodeJS.ProcessEnv;
  /** Its environment as a user's pipe gets it (`tool > file`, `tool | grep`): block-buffered C stdio. */
  pipeEnv: NodeJS.ProcessEnv;
  /** How it is run, for the report. */
  describe: string;
  /** Something that makes its figures doubtful, for the log. */
  warning?: string;
}

export const LIBBPF_TOOLS_DIR = process.env.LIBBPF_TOOLS_DIR ?? '/usr/sbin';
/** coreutils' stdbuf library: preloaded, it makes C stdio line-buffered without an extra exec. */
const LIBSTDBUF = ['/usr/libexec/coreutils/libstdbuf.so', '/usr/lib/coreutils/libstdbuf.so'].find((p) => existsSync(p));

/**
 * libbpf-tools print with C stdio, block-buffered on a pipe: the header would arrive only when 4 KiB are written,
 * or at exit. In a terminal it is line-buffered, so for start-up they run with stdout line-buffered (as `stdbuf -oL`
 * does, by preloading its library, so the pid and exec count stay the same).
 */
export function libbpfToolsImpl(): Impl {
  return {
    name: 'libbpf-tools',
    command: (tool, args = []) => [join(LIBBPF_TOOLS_DIR, tool), ...args],
    missing: (tool) => (existsSync(join(LIBBPF_TOOLS_DIR, tool)) ? undefined : `no ${join(LIBBPF_TOOLS_DIR, tool)}`),
    lineBufferedEnv: LIBSTDBUF ? { ...process.env, LD_PRELOAD: LIBSTDBUF, _STDBUF_O: 'L' } : process.env,
    pipeEnv: process.env,
    describe: `${LIBBPF_TOOLS_DIR}/<tool> (Debian libbpf-tools${libbpfToolsVersion()})`,
    ...(LIBSTDBUF ? {} : { warning: 'coreutils\' libstdbuf.so not found: libbpf-tools\' headers stay in their stdio buffer, start-up figures are too high' }),
  };
}

function libbpfToolsVersion(): string {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'libbpf-tools'], { encoding: 'utf8', timeout: 5000 });
  return r.status === 0 && r.stdout ? ` ${r.stdout.trim()}` : '';
}

/**
 * bpfkit as users run it: the bundled command line (dist/bpfkit.mjs, package.json's "bin"), built when missing;
 * `entry` overrides (e.g. dist/src/cli/main.js). The tools it has are read from its own listing (`bpfkit`).
 */
export function bpfkitImpl(entry?: string): Impl & { entry: string; tools: string[] } {
  const bundle = join(repoRoot, 'dist/bpfkit.mjs');
  if (!entry && !existsSync(bundle)) buildBundle();
  const path = entry ? resolve(entry) : bundle;
  const tools = listedTools(path);
  return {
    name: 'bpfkit',
    entry: path,
    tools,
    command: (tool, args = []) => [process.execPath, path, tool, ...args],
    missing: (tool) => (tools.includes(tool) ? undefined : `bpfkit has no ${tool} yet (it has: ${tools.join(', ') || 'none'})`),
    lineBufferedEnv: process.env,
    pipeEnv: process.env,
    describe: `node ${path.startsWith(repoRoot) ? path.slice(repoRoot.length + 1) : path} <tool>`,
  };
}

function buildBundle(): void {
  console.error('bench: dist/bpfkit.mjs missing: node scripts/bundle.mjs');
  const r = spawnSync(process.execPath, ['scripts/bundle.mjs'], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`scripts/bundle.mjs failed:\n${r.stderr}${r.error ?? ''}`);
}

/** The names under "tools:" in `bpfkit`'s listing. */
function listedTools(entry: string): string[] {
  const r = spawnSync(process.execPath, [entry], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`\`node ${entry}\` failed (${r.status ?? r.signal}): ${(r.stderr || String(r.error)).trim().slice(0, 300)}`);
  const section = /^tools:\n((?: {2}\S.*\n)+)/m.exec(r.stdout);
  return section ? section[1]!.split('\n').map((l) => l.trim().split(/\s+/)[0]!).filter(Boolean) : [];
}

/** A warning when the bundle is older than the compiled tool modules (a stale build: new tools not in it). */
export function staleBundleWarning(entry: string): string | undefined {
  if (!entry.endsWith('bpfkit.mjs') || !existsSync(entry)) return undefined;
  const newest = newestJs(join(repoRoot, 'dist/src'));
  return newest > statSync(entry).mtimeMs + 1000
    ? `${entry} is older than dist/src/: run \`npm run build\` (or pass --bpfkit-entry dist/src/cli/main.js)`
    : undefined;
}

function newestJs(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestJs(p) : e.name.endsWith('.js') ? statSync(p).mtimeMs : 0);
  }
  return newest;
}
