// `bpfkit trace [-e PROGRAM | FILE] [ARGS...]`: bpftrace's command line over the TypeScript compiler and runtime.
import { accessSync, constants as fsConstants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { compileWithAst } from './compile.js';
import { formatDiagnostic, TraceError } from './diagnostics.js';
import { runScript, type RunResult } from './runtime/runtime.js';
import type { BufferingMode } from './runtime/sink.js';

const VERSION = '0.1.0';

export interface TraceCliOptions {
  e?: string;
  l?: boolean;
  p?: string;
  c?: string;
  o?: string;
  f?: string;
  B?: string;
  q?: boolean;
  v?: boolean;
  d?: number;
  dryRun?: boolean;
  info?: boolean;
  unsafe?: boolean;
}

/** Splits `-c 'CMD'` into argv like a shell would, without running one: quotes and backslashes, no expansions. */
export function splitCommand(command: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < command.length && '"\\$`'.includes(command[i + 1]!)) cur += command[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < command.length) {
      cur += command[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new TraceUsageError(`unterminated quote in command: ${command}`);
  if (inWord) out.push(cur);
  return out;
}

/** The executable `name` resolves to through PATH, or undefined. */
export function findExecutable(name: string): string | undefined {
  const candidates = name.includes('/') ? [name] : (process.env.PATH ?? '/usr/bin:/bin').split(delimiter).map((d) => join(d || '.', name));
  for (const path of candidates) {
    try {
      accessSync(path, fsConstants.X_OK);
      return path;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** Bad command-line usage: one line, exit 1. */
export class TraceUsageError extends Error {
  override name = 'TraceUsageError';
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

function makeProgram(): Command {
  const increment = (_: unknown, prev: number | undefined) => (prev ?? 0) + 1;
  return new Command('bpfkit trace')
    .description('run a bpftrace script, compiled to eBPF in TypeScript')
    .usage('[options] [-e PROGRAM | FILE] [ARGS...]')
    .argument('[args...]', 'script file (unless -e is given), then positional parameters $1, $2, ...')
    .option('-e <program>', 'execute this program')
    .option('-l', 'list probes (matching the glob given as argument)')
    .option('-p <pid>', 'enable uprobes/USDT on PID; exit when it exits')
    .option('-c <cmd>', 'run CMD (without a shell) once probes are attached; exit when it exits')
    .option('-o <file>', 'write the output to FILE')
    .option('-f <format>', "output format ('text', 'json')")
    .addOption(new Option('-B <mode>', 'output buffering mode').choices(['line', 'full', 'none']))
    .option('-q', 'keep messages quiet')
    .option('-v', 'verbose messages: verifier statistics of every probe')
    .option('-d', 'dry run: print the AST and the disassembly of every program', increment)
    .option('--dry-run', 'compile, load and verify; attach nothing')
    .option('--info', 'print the kernel version and the BPF features found')
    .option('--unsafe', 'allow unsafe builtin functions')
    .option('-k', 'accepted for bpftrace compatibility (no effect)', increment)
    .option('--verify-llvm-ir', 'accepted for bpftrace compatibility (no effect)')
    .option('--no-warnings', 'disable warning messages')
    .option('-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .allowExcessArguments(true)
    .passThroughOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
    });
}

/** Runs `bpfkit trace` with its arguments; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const cmd = makeProgram();
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 1;
    throw err;
  }
  const opts = cmd.opts() as TraceCliOptions & { version?: boolean };
  const positional = cmd.args;
  try {
    if (opts.version) {
      process.stdout.write(`bpfkit trace v${VERSION} (bpftrace 0.17 language)\n`);
      return 0;
    }
    if (process.getuid?.() !== 0) {
      process.stderr.write('ERROR: bpfkit trace currently only supports running as the root user.\n');
      return 1;
    }
    if (opts.info) {
      const { infoText } = await import('./runtime/info.js');
      process.stdout.write(infoText(VERSION));
      return 0;
    }
    if (opts.l) return await list(opts, positional);
    return await trace(opts, positional);
  } catch (err) {
    process.stderr.write(`ERROR: ${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env.BPFKIT_DEBUG) console.error(err);
    return err instanceof TraceUsageError ? err.exitCode : 1;
  }
}

async function list(opts: TraceCliOptions, positional: string[]): Promise<number> {
  const { listProbes, tracepointFields } = await import('./runtime/list.js');
  const pattern = positional[0];
  const names = listProbes(pattern);
  let out = '';
  for (const n of names) {
    out += n + '\n';
    if (opts.v) for (const line of tracepointFields(n)) out += line + '\n';
  }
  process.stdout.write(out);
  return 0;
}

async function trace(opts: TraceCliOptions, positional: string[]): Promise<number> {
  let source: string;
  let filename: string;
  let args: string[];
  if (opts.e !== undefined) {
    source = opts.e;
    filename = 'stdin';
    args = positional;
  } else if (positional.length > 0) {
    filename = positional[0]!;
    args = positional.slice(1);
    try {
      source = readFileSync(filename === '-' ? 0 : filename, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // bpftrace exits with -1 here.
      throw new TraceUsageError(`failed to open file '${filename}': ${code === 'ENOENT' ? 'No such file or directory' : (err as Error).message}`, 255);
    }
    if (filename === '-') filename = 'stdin';
  } else {
    process.stderr.write(makeProgram().helpInformation());
    return 1;
  }

  if (opts.f !== undefined && opts.f !== 'text' && opts.f !== 'json') {
    throw new TraceUsageError(`Invalid output format "${opts.f}"\nValid formats: 'text', 'json'`);
  }
  const pid = opts.p !== undefined ? parsePid(opts.p) : undefined;
  const command = opts.c !== undefined ? splitCommand(opts.c) : undefined;
  if (command) {
    if (command.length === 0) throw new TraceUsageError('-c needs a command');
    if (!findExecutable(command[0]!)) {
      throw new TraceUsageError(`Failed to fork child: path '${command[0]}' does not exist or is not executable`, 255);
    }
  }

  let compiled;
  let ast;
  try {
    ({ compiled, ast } = compileWithAst(source, filename, { positional: args }));
  } catch (err) {
    if (err instanceof TraceError) {
      process.stderr.write(formatDiagnostic(err, source, filename));
      return 1;
    }
    throw err;
  }

  if (opts.d) {
    const [{ printAst }, { disassemble }] = await Promise.all([import('./ast-print.js'), import('../isa/disasm.js')]);
    let out = 'AST\n-------------------\n' + printAst(ast) + '\n';
    for (const probe of compiled.probes) {
      const spec = compiled.spec.programs[probe.program];
      if (!spec) continue;
      out += `\n${probe.text} (program ${probe.program})\n-------------------\n${disassemble(spec.instructions)}`;
    }
    process.stdout.write(out);
    return 0;
  }

  const result: RunResult = await runScript(compiled, {
    format: (opts.f as 'text' | 'json' | undefined) ?? 'text',
    buffering: (opts.B as BufferingMode | undefined) ?? 'line',
    ...(opts.o !== undefined ? { outputFile: opts.o } : {}),
    quiet: opts.q ?? false,
    verbose: opts.v ?? false,
    dryRun: opts.dryRun ?? false,
    ...(pid !== undefined ? { pid } : {}),
    ...(command ? { command } : {}),
  });
  if (process.env.BPFKIT_TRACE_TIMINGS) process.stderr.write(`timings: ${JSON.stringify(result.timings)}\n`);
  return result.exitCode;
}

function parsePid(text: string): number {
  const pid = Number(text);
  if (!Number.isInteger(pid) || pid <= 0) throw new TraceUsageError(`invalid pid '${text}'`);
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') throw new TraceUsageError(`pid '${pid}' does not exist`);
  }
  return pid;
}
