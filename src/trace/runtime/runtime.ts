// Runs a compiled bpftrace script: load, attach, BEGIN, read events, stop on exit()/signal/command exit, detach,
// END, print the maps. The sequence and the text mirror bpftrace 0.17.
import { spawn, type ChildProcess } from 'node:child_process';
import { Collection } from '../../kernel/collection.js';
import type { BpfMap } from '../../kernel/map.js';
import { Program, VerifierError } from '../../kernel/program.js';
import { RingBufferReader } from '../../kernel/readers/ringbuf.js';
import { native } from '../../sys/native.js';
import { ConstSlot, type CompiledMap, type CompiledProbe, type CompiledScript } from '../compiled.js';
import { attachedProbes, exitOutput, formatMap, lostEvents } from '../output/index.js';
import type { OutputFormat, PrintOptions } from '../output/types.js';
import { attachProbe, prepareAttach, type Attachment } from './attach.js';
import { clearMap, readMapContents, zeroMap } from './maps.js';
import { releaseFds } from './release.js';
import { RecordDecoder, type RecordAction } from './records.js';
import { FdSink, type BufferingMode, type OutputSink } from './sink.js';

export interface RunOptions {
  /** Where output goes; default stdout (or `outputFile`) with `buffering`. */
  sink?: OutputSink;
  /** -o FILE. */
  outputFile?: string;
  /** -f text|json. */
  format?: OutputFormat;
  /** -B line|full|none (default line). */
  buffering?: BufferingMode;
  /** -q: no "Attaching N probes..." line. */
  quiet?: boolean;
  /** -v: verifier statistics of every program, and each probe as it is attached (stderr). */
  verbose?: boolean;
  /** --dry-run: load and verify, attach nothing. */
  dryRun?: boolean;
  /** -p PID: uprobes/USDT in this process only; stop when it exits. */
  pid?: number;
  /** -c CMD as argv: started once every probe is attached and BEGIN ran; stop when it exits. */
  command?: string[];
  /** Stop on SIGINT/SIGTERM (default true). */
  handleSignals?: boolean;
  /** Stops the script like Ctrl-C. */
  signal?: AbortSignal;
  /** Print `__BPFTRACE_NOTIFY_PROBES_ATTACHED` to stderr once attached (default: when that variable is set). */
  notifyAttached?: boolean;
  /** Diagnostics (-v, notify line); default process.stderr. */
  stderr?: (text: string) => void;
}

export interface RunTimings {
  /** ms from runScript's call to: programs loaded, every probe attached, BEGIN ran and drained. */
  loadedMs: number;
  attachedMs: number;
  beganMs: number;
  /** ms spent detaching every probe, and from the stop request to the end of runScript. */
  detachMs: number;
  stopMs: number;
}

export interface RunResult {
  exitCode: number;
  timings: RunTimings;
  /** Why the script stopped. */
  reason: 'exit' | 'signal' | 'command' | 'pid' | 'abort' | 'dry-run';
}

/** A failure of the runtime (loading, attaching) with a message meant for the user as is. */
export class TraceRuntimeError extends Error {
  override name = 'TraceRuntimeError';
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/** The environment variable bpftrace answers with the same text on stderr once every probe is attached. */
export const NOTIFY_PROBES_ATTACHED = '__BPFTRACE_NOTIFY_PROBES_ATTACHED';

const SYS_pidfd_open = 434;
const SYS_close = 3;

type StopReason = Exclude<RunResult['reason'], 'dry-run'>;

export async function runScript(compiled: CompiledScript, options: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  const format = options.format ?? 'text';
  const stderr = options.stderr ?? ((t: string) => void process.stderr.write(t));
  const ownSink = !options.sink;
  const sink = options.sink ?? (options.outputFile
    ? FdSink.file(options.outputFile, options.buffering ?? 'line')
    : new FdSink(1, options.buffering ?? 'line'));
  const flushAll = () => (sink instanceof FdSink ? sink.flushAll() : sink.flush());
  const timings: RunTimings = { loadedMs: 0, attachedMs: 0, beganMs: 0, detachMs: 0, stopMs: 0 };

  const cleanups: Array<() => void> = [];
  // Stop requests may come at any point from here on (a Ctrl-C while loading stops right after BEGIN).
  let requestStop: (reason: StopReason) => void = () => {};
  const stopped = new Promise<StopReason>((resolve) => {
    requestStop = (reason) => resolve(reason);
  });
  if (options.handleSignals ?? true) {
    const onSignal = () => requestStop('signal');
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    cleanups.push(() => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    });
  }
  if (options.signal) {
    const onAbort = () => requestStop('abort');
    if (options.signal.aborted) onAbort();
    options.signal.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => options.signal!.removeEventListener('abort', onAbort));
  }
  let collection: Collection;
  try {
    await prepareAttach(compiled.probes.map((p) => p.attach));
    collection = loadCollection(compiled, options.verbose ?? false);
  } catch (err) {
    for (const c of cleanups) c();
    if (ownSink) sink.close();
    throw err;
  }
  const attachments: Attachment[] = [];
  const lingering: number[] = [];
  let reader: RingBufferReader | undefined;
  let finished = false;
  try {
    timings.loadedMs = elapsed();
    if (options.dryRun) {
      if (options.verbose) sink.write(verifierStats(compiled, collection));
      flushAll();
      return { exitCode: 0, timings, reason: 'dry-run' };
    }
    writeConsts(compiled, collection);
    reader = new RingBufferReader(collection.map(compiled.eventsMap), { keepAlive: true });

    // ---- output handling
    const decoder = new RecordDecoder(compiled.formats, format);
    const mapsByName = new Map(compiled.maps.map((m) => [m.name, m]));
    const kernelMap = (cm: CompiledMap): BpfMap => collection.map(cm.mapName);
    let ignoreRecords = false;
    const apply = (action: RecordAction) => {
      switch (action.kind) {
        case 'text':
          sink.write(action.text);
          return;
        case 'exit':
          // bpftrace ignores whatever follows exit() until END runs.
          ignoreRecords = true;
          requestStop('exit');
          return;
        case 'print': {
          const cm = mapsByName.get(action.map);
          if (cm) sink.write(printMap(cm, kernelMap(cm), format, action.options));
          return;
        }
        case 'clear':
        case 'zero': {
          const cm = mapsByName.get(action.map);
          if (cm) (action.kind === 'clear' ? clearMap : zeroMap)(kernelMap(cm));
          return;
        }
        case 'none':
          return;
      }
    };
    const onRecord = (record: Uint8Array) => {
      if (ignoreRecords) return;
      try {
        apply(decoder.decode(record));
      } catch (err) {
        // One bad record (or a map that went away) must not take the tracer down.
        stderr(`ERROR: ${messageOf(err)}\n`);
      }
    };
    const lost = lostCounter(compiled, collection);
    const reportLost = () => {
      const n = lost();
      if (n > 0n) sink.write(lostEvents(n, format));
    };
    const drain = () => {
      reader!.readAvailable(onRecord);
      reportLost();
      sink.flush();
    };

    // ---- attach
    const probes = compiled.probes;
    if (!options.quiet) sink.write(attachedProbes(probes.length, format));
    // bpftrace loads while attaching, so -v's statistics follow the attach line.
    if (options.verbose) sink.write(verifierStats(compiled, collection));
    flushAll();
    for (const probe of probes) {
      if (probe.attach.provider === 'BEGIN' || probe.attach.provider === 'END') continue;
      if (options.verbose) stderr(`Attaching ${probe.text}\n`);
      try {
        attachments.push(attachProbe(collection.program(probe.program), probe.attach, { ...(options.pid !== undefined ? { pid: options.pid } : {}) }));
      } catch (err) {
        throw new TraceRuntimeError(`Error attaching probe: ${probe.text}: ${messageOf(err)}`, err);
      }
    }
    timings.attachedMs = elapsed();
    if (options.notifyAttached ?? process.env[NOTIFY_PROBES_ATTACHED] !== undefined) stderr(`${NOTIFY_PROBES_ATTACHED}\n`);

    // ---- stop triggers
    if (options.pid !== undefined) cleanups.push(watchPid(options.pid, () => requestStop('pid')));

    // ---- BEGIN, then events
    for (const probe of probes.filter((p) => p.attach.provider === 'BEGIN')) runOnce(collection.program(probe.program), probe);
    drain();
    timings.beganMs = elapsed();
    // Line buffering: one write per batch of records the poller delivers.
    let flushScheduled = false;
    reader.onRecord((record) => {
      onRecord(record);
      if (flushScheduled) return;
      flushScheduled = true;
      setImmediate(() => {
        flushScheduled = false;
        if (finished) return;
        reportLost();
        sink.flush();
      });
    });

    let child: ChildProcess | undefined;
    if (options.command && options.command.length > 0) {
      child = startCommand(options.command, () => requestStop('command'), stderr);
      cleanups.push(() => {
        if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      });
    }

    // ---- stop
    const reason = await stopped;
    const stopStart = performance.now();
    reader.offRecord();
    const detachStart = performance.now();
    lingering.push(...(stopSwitch(compiled, collection) ? abandonAll(attachments) : closeAll(attachments)));
    attachments.length = 0;
    timings.detachMs = performance.now() - detachStart;
    reader.readAvailable(onRecord);
    reportLost();
    ignoreRecords = false;
    for (const probe of probes.filter((p) => p.attach.provider === 'END')) runOnce(collection.program(probe.program), probe);
    reader.readAvailable(onRecord);
    // Every map of the script, as bpftrace prints them at exit.
    const contents = compiled.maps.map((cm) => readMapContents(kernelMap(cm), cm));
    sink.write(exitOutput(contents, format));
    flushAll();
    timings.stopMs = performance.now() - stopStart;
    return { exitCode: 0, timings, reason };
  } finally {
    finished = true;
    for (const c of cleanups.reverse()) {
      try {
        c();
      } catch {
        // cleanup is best effort
      }
    }
    lingering.push(...closeAll(attachments));
    reader?.close();
    collection.close();
    if (ownSink) sink.close();
    releaseFds(lingering);
  }
}

function printMap(cm: CompiledMap, map: BpfMap, format: OutputFormat, options: PrintOptions): string {
  return formatMap(readMapContents(map, cm), format, options);
}

/** Collection.load with the failing probe named in the error. */
function loadCollection(compiled: CompiledScript, verbose: boolean): Collection {
  try {
    return Collection.load(compiled.spec, verbose ? { logLevel: 4 } : {});
  } catch (err) {
    // A statistics-only log says nothing about the failure: load again for the verifier's explanation.
    if (verbose && err instanceof VerifierError) {
      try {
        Collection.load(compiled.spec).close();
      } catch (again) {
        throw loadFailure(compiled, again);
      }
    }
    throw loadFailure(compiled, err);
  }
}

function loadFailure(compiled: CompiledScript, err: unknown): Error {
  const message = messageOf(err);
  const m = /load program '([^']+)'/.exec(message);
  const probes = m ? compiled.probes.filter((p) => p.program === m[1]).map((p) => p.text) : [];
  if (probes.length === 0) return new TraceRuntimeError(`Error loading the script's programs: ${message}`, err);
  const named = probes.length > 3 ? `${probes.slice(0, 3).join(', ')} (and ${probes.length - 3} more)` : probes.join(', ');
  return new TraceRuntimeError(`Error loading program: ${named}\n${message}`, err);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** -v: what bpftrace prints for each program: its id and the verifier's statistics. */
function verifierStats(compiled: CompiledScript, collection: Collection): string {
  let out = '';
  const seen = new Set<string>();
  for (const probe of compiled.probes) {
    if (seen.has(probe.program)) continue;
    seen.add(probe.program);
    const prog = collection.program(probe.program);
    const texts = compiled.probes.filter((p) => p.program === probe.program).map((p) => p.text).join(', ');
    out += `\nProgram ID: ${prog.info().id}\nProbe: ${texts}\n\nThe verifier log: \n${prog.log.trim()}\n`;
  }
  return out;
}

/** Writes ConstSlot values (StartNs: CLOCK_MONOTONIC now, the clock of bpf_ktime_get_ns) before attaching. */
function writeConsts(compiled: CompiledScript, collection: Collection): void {
  if (!compiled.constsMap) return;
  setConst(collection.map(compiled.constsMap), ConstSlot.StartNs, process.hrtime.bigint());
}

/**
 * Slot `slot` of the consts map is the u64 at byte offset slot * 8 of its only element (codegen reads it with a
 * direct map value load). Returns false when the map has no such slot.
 */
function setConst(map: BpfMap, slot: number, value: bigint): boolean {
  if (slot * 8 + 8 > map.valueSize) return false;
  const key = new Uint8Array(map.keySize);
  const all = new Uint8Array(map.valueStride * map.cpuSlots);
  const current = map.cpuSlots === 1 ? map.lookup(key) : undefined;
  if (current) all.set(current);
  const view = new DataView(all.buffer);
  for (let cpu = 0; cpu < map.cpuSlots; cpu++) view.setBigUint64(cpu * map.valueStride + slot * 8, value, true);
  map.updateRaw(key, all);
  return true;
}

/** Returns a function giving the records lost since its previous call (the lost-records counter map). */
function lostCounter(compiled: CompiledScript, collection: Collection): () => bigint {
  const map = compiled.lostMap ? collection.maps[compiled.lostMap] : undefined;
  if (!map) return () => 0n;
  const key = new Uint8Array(map.keySize);
  let seen = 0n;
  return () => {
    const value = map.lookup(key);
    if (!value) return 0n;
    const total = new DataView(value.buffer, value.byteOffset, value.byteLength).getBigUint64(0, true);
    const delta = total - seen;
    seen = total;
    return delta;
  };
}

/** BEGIN and END are RAW_TRACEPOINT programs run once with an 8-byte zero context. */
function runOnce(prog: Program, probe: CompiledProbe): void {
  try {
    prog.testRun({ ctx: new Uint8Array(8) });
  } catch (err) {
    throw new TraceRuntimeError(`Error running probe: ${probe.text}: ${messageOf(err)}`, err);
  }
}

/**
 * Sets the script's stop switch when the compiler provides one (ConstSlot.Stopped: every attached program returns
 * at once while it is set), which makes detaching instant. Returns false when there is none.
 */
function stopSwitch(compiled: CompiledScript, collection: Collection): boolean {
  if (!compiled.constsMap) return false;
  return setConst(collection.map(compiled.constsMap), ConstSlot.Stopped, 1n);
}

/** With the stop switch set: let go of every attachment without waiting for the kernel's teardown. */
function abandonAll(items: Iterable<Attachment>): number[] {
  const lingering: number[] = [];
  for (const a of items) {
    try {
      if (a.abandon) lingering.push(...a.abandon());
      else {
        a.close();
        if (a.lingering) lingering.push(...a.lingering);
      }
    } catch {
      // keep going: the rest must still be let go
    }
  }
  return lingering;
}

/** Detaches every attachment; returns the fds left to release (Attachment.lingering). */
function closeAll(items: Iterable<Attachment>): number[] {
  const lingering: number[] = [];
  for (const a of items) {
    try {
      a.close();
    } catch {
      // a failed detach must not keep the others attached
    }
    if (a.lingering) lingering.push(...a.lingering);
  }
  return lingering;
}

/** Calls onExit once process `pid` is gone (a pidfd becomes readable when its process exits). */
function watchPid(pid: number, onExit: () => void): () => void {
  const fd = native.syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) throw new TraceRuntimeError(`no process with pid ${pid} (pidfd_open: errno ${-fd})`);
  let handle: object | undefined = native.pollStart(fd, () => {
    stop();
    onExit();
  }, false);
  const stop = () => {
    if (!handle) return;
    native.pollStop(handle);
    handle = undefined;
    native.syscall(SYS_close, fd);
  };
  return stop;
}

function startCommand(argv: string[], onExit: () => void, stderr: (t: string) => void): ChildProcess {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
  child.on('error', (err) => {
    stderr(`ERROR: failed to run '${argv[0]}': ${err.message}\n`);
    onExit();
  });
  child.on('exit', () => onExit());
  return child;
}

