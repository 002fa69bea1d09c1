// What every classic tool shares: commander flags (-h lists them, --json), the root check, Ctrl-C handling, errors
// as one line, and cleanup of everything the tool opened. A tool is a definition; runTool turns it into a command.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { reportFatal } from '../../cli/errors.js';

export interface ToolContext {
  /** The tool's name, for messages ("bpfkit opensnoop: ..."). */
  readonly name: string;
  /** True with --json: one JSON object per line instead of columns. */
  readonly json: boolean;
  /** Aborted on Ctrl-C / SIGTERM (or by the tool itself via stop()). */
  readonly signal: AbortSignal;
  /** Resolves when the tool should stop: Ctrl-C, SIGTERM, stop(), or the duration (if any) elapsed. */
  readonly stopped: Promise<void>;
  stop(): void;
  /** Writes text to stdout (add the newline yourself). */
  write(text: string): void;
  /** Writes one JSON record as a line (for --json). */
  writeJson(record: unknown): void;
  /** Registers cleanup; run in reverse order when the tool ends, whatever way it ends. */
  defer(cleanup: () => void): void;
  /** Registers a Disposable (Collection, Link, reader...) and returns it. */
  use<T extends Disposable | { close(): void }>(resource: T): T;
  /** Resolves after ms, or early when the tool stops; true if it stopped. */
  sleep(ms: number): Promise<boolean>;
}

export interface ToolDefinition<O> {
  name: string;
  /** One line for `bpfkit` with no arguments and for -h. */
  summary: string;
  /** Extra lines for -h after the options (examples). */
  examples?: string[];
  /** Adds the tool's options and arguments to its command. */
  configure(command: Command): void;
  /** Runs until done; resolve when finished (after printing the final summary). */
  run(options: O, args: string[], ctx: ToolContext): Promise<void>;
}

export class ToolUsageError extends Error {
  override name = 'ToolUsageError';
}

/** A tool as the registry sees it. */
export interface Tool {
  name: string;
  summary: string;
  main(argv: string[]): Promise<number>;
}

export function defineTool<O>(def: ToolDefinition<O>): Tool {
  return { name: def.name, summary: def.summary, main: (argv) => runTool(def, argv) };
}

/** Parses argv with commander, checks root, runs the tool; resolves to the exit code. */
export async function runTool<O>(def: ToolDefinition<O>, argv: string[]): Promise<number> {
  const command = new Command(`bpfkit ${def.name}`)
    .description(def.summary)
    .addOption(new Option('--json', 'print one JSON object per line instead of columns'))
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void process.stdout.write(s),
      writeErr: (s) => void process.stderr.write(s),
    })
    .allowExcessArguments(false);
  def.configure(command);
  if (def.examples?.length) command.addHelpText('after', `\nexamples:\n${def.examples.map((e) => `  ${e}`).join('\n')}\n`);
  try {
    command.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  const options = command.opts() as O & { json?: boolean };
  if (process.getuid?.() !== 0) {
    process.stderr.write(`bpfkit ${def.name}: must run as root (bpf() needs CAP_BPF and CAP_PERFMON; try sudo)\n`);
    return 1;
  }
  const ctx = new Context(def.name, options.json === true);
  try {
    await def.run(options, command.args, ctx);
    return 0;
  } catch (err) {
    if (err instanceof ToolUsageError) {
      process.stderr.write(`bpfkit ${def.name}: ${err.message}\n`);
      return 2;
    }
    if (process.env.BPFKIT_DEBUG) console.error(err);
    else process.stderr.write(`bpfkit ${def.name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    ctx.close();
  }
}

class Context implements ToolContext {
  readonly #abort = new AbortController();
  readonly #cleanups: Array<() => void> = [];
  readonly stopped: Promise<void>;
  readonly #onSignal = () => this.stop();

  constructor(readonly name: string, readonly json: boolean) {
    this.stopped = new Promise((resolve) => this.#abort.signal.addEventListener('abort', () => resolve(), { once: true }));
    process.on('SIGINT', this.#onSignal);
    process.on('SIGTERM', this.#onSignal);
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  stop(): void {
    if (!this.#abort.signal.aborted) this.#abort.abort();
  }

  write(text: string): void {
    process.stdout.write(text);
  }

  writeJson(record: unknown): void {
    process.stdout.write(JSON.stringify(record, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)) + '\n');
  }

  defer(cleanup: () => void): void {
    this.#cleanups.push(cleanup);
  }

  use<T extends Disposable | { close(): void }>(resource: T): T {
    this.defer(() => ('close' in resource && typeof resource.close === 'function' ? resource.close() : (resource as Disposable)[Symbol.dispose]()));
    return resource;
  }

  sleep(ms: number): Promise<boolean> {
    if (this.signal.aborted) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.signal.removeEventListener('abort', onAbort);
        resolve(false);
      }, ms);
      this.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  close(): void {
    process.off('SIGINT', this.#onSignal);
    process.off('SIGTERM', this.#onSignal);
    for (const c of this.#cleanups.reverse()) {
      try {
        c();
      } catch {
        // best effort: one failed close must not keep the others open
      }
    }
    this.#cleanups.length = 0;
  }
}

/** Commander argument parser for positive integers ("-p PID", "interval"). */
export function positiveInt(what: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer ${what}`);
    return n;
  };
}

/** Commander argument parser for non-negative integers (uid 0 is valid). */
export function nonNegativeInt(what: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected a non-negative integer ${what}`);
    return n;
  };
}

/**
 * The interval/count loop of the histogram tools: every `intervalSec` (default: until Ctrl-C) call tick(); stop
 * after `count` ticks or on Ctrl-C, which ticks once more, as libbpf-tools do.
 */
export async function everyInterval(ctx: ToolContext, intervalSec: number | undefined, count: number | undefined, tick: () => void): Promise<void> {
  let left = count ?? Infinity;
  for (;;) {
    const stopped = await ctx.sleep(intervalSec !== undefined ? intervalSec * 1000 : 2 ** 31 - 1);
    tick();
    if (stopped || --left <= 0) return;
  }
}

/** The `[interval] [count]` arguments of the histogram tools (checked positive integers). */
export function intervalArguments(command: Command): Command {
  return command
    .argument('[interval]', 'output interval, in seconds', positiveInt('interval'))
    .argument('[count]', 'number of outputs', positiveInt('count'));
}

/** [interval, count] from the raw arguments (commander has already checked they are positive integers). */
export function intervalAndCount(args: string[]): { interval?: number; count?: number } {
  return { interval: args[0] !== undefined ? Number(args[0]) : undefined, count: args[1] !== undefined ? Number(args[1]) : undefined };
}
