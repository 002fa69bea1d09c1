// The C load generators (bench/tools/c/), compiled with gcc for the run next to bench/trace's `wrap` helper, and
// how the harness drives one: start it, let it print its pid and wait, start the tool, then "go".
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep, spawnTracked } from '../trace/process.js';
import { Helpers, repoRoot } from '../trace/tools.js';

const here = dirname(fileURLToPath(import.meta.url));

/** bench/tools/c/ in the source tree, whether we run from bench/tools/ or dist/bench/tools/. */
function cSourceDir(): string {
  for (const dir of [join(here, 'c'), join(repoRoot, 'bench/tools/c')]) if (existsSync(join(dir, 'exec_loop.c'))) return dir;
  throw new Error('bench: cannot find bench/tools/c/ (the load generators)');
}

/** `wrap` (pid and peak RSS reports) plus the generators, all in one temporary directory removed on dispose. */
export class Rig implements Disposable {
  readonly #helpers = new Helpers();
  readonly wrap = this.#helpers.wrap;
  readonly dir = this.#helpers.dir;
  readonly execLoop: string;
  /** What exec_loop's children run: a static no-op (a dynamic one when static linking is not available). */
  readonly noop: string;
  readonly openLoop: string;

  /** Ctrl-C ends the harness with process.exit(): remove the directory then too. */
  readonly #onExit = () => this[Symbol.dispose]();

  constructor() {
    process.once('exit', this.#onExit);
    try {
      this.execLoop = this.#compile('exec_loop');
      this.openLoop = this.#compile('open_loop');
      try {
        this.noop = this.#compile('noop', ['-static']);
      } catch {
        this.noop = this.#compile('noop');
      }
    } catch (err) {
      this[Symbol.dispose]();
      throw err;
    }
  }

  #compile(name: string, flags: string[] = []): string {
    const out = join(this.dir, name);
    const cc = process.env.CC ?? 'gcc';
    const src = cSourceDir();
    const r = spawnSync(cc, ['-O2', '-Wall', ...flags, '-I', src, '-o', out, join(src, `${name}.c`)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bench: ${cc} failed on ${name}.c:\n${r.stderr}${r.error ?? ''}`);
    return out;
  }

  [Symbol.dispose](): void {
    process.off('exit', this.#onExit);
    this.#helpers[Symbol.dispose]();
  }
}

export interface Generated {
  count: number;
  seconds: number;
  /** What the generator really achieved, per second. */
  rate: number;
}

/** A started generator, waiting for go(). */
export class Generator {
  readonly #child: ChildProcess;
  #out = '';
  #err = '';
  /** Exited and its output read to the end. */
  #closed = false;
  pid = 0;

  private constructor(argv: string[]) {
    this.#child = spawnTracked(argv);
    this.#child.stdout!.on('data', (c: Buffer) => (this.#out += c.toString('utf8')));
    this.#child.stderr!.on('data', (c: Buffer) => (this.#err += c.toString('utf8')));
    this.#child.on('close', () => (this.#closed = true));
    this.#child.on('error', (err) => {
      this.#err += err.message;
      this.#closed = true;
    });
  }

  /** Starts `argv` and waits for the pid it prints before waiting for "go". */
  static async start(argv: string[]): Promise<Generator> {
    const g = new Generator(argv);
    await g.#until(() => /^\d+\n/.test(g.#out), 10_000, 'its pid');
    g.pid = Number(g.#out.split('\n')[0]);
    return g;
  }

  go(): void {
    this.#child.stdin!.end('go\n');
  }

  /** Waits for the "done COUNT SECONDS RATE" report. */
  async finished(timeoutMs: number): Promise<Generated> {
    await this.#until(() => /^done /m.test(this.#out), timeoutMs, 'it to finish');
    const [count, seconds, rate] = /^done (\d+) ([\d.]+) ([\d.]+)$/m.exec(this.#out)!.slice(1).map(Number) as [number, number, number];
    return { count, seconds, rate };
  }

  kill(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
  }

  async #until(test: () => boolean, ms: number, what: string): Promise<void> {
    const start = performance.now();
    while (!test()) {
      if (this.#closed) {
        throw new Error(`load generator exited (${this.#child.exitCode ?? this.#child.signalCode}) before ${what}${this.#err ? `: ${this.#err.trim().slice(0, 300)}` : ''}`);
      }
      if (performance.now() - start > ms) throw new Error(`load generator: timed out after ${ms} ms waiting for ${what}`);
      await sleep(5);
    }
  }
}
