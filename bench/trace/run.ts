// `node dist/bench/trace/run.js [--json FILE] [--runs N] [--printf-calls N] [--quick] [--bpfkit-entry PATH]`
//
// `bpfkit trace` against bpftrace 0.17, side by side in one run, as ratios bpfkit ÷ bpftrace (medians):
//   start-up   launch → the "ready" line BEGIN prints (both run BEGIN once every probe is attached), for a trivial
//              script, biolatency- and runqlat-style scripts, 20 tracepoints and tracepoint:syscalls:sys_enter_* (~361)
//   exit       SIGINT after "ready" (exit() in BEGIN for the trivial one) → process gone; plus how long the kernel
//              still holds the programs after the process is gone (informational: detach work handed off)
//   peak RSS   of the tracer over its whole life (wait4's ru_maxrss, reported by the `wrap` helper)
//   printf     lines/s delivered to a pipe from sys_enter_getpid driven by a tight C loop, and "Lost N events"
//   in-kernel  `@[comm] = count()` on sys_enter_getpid: xlated instructions, ns per run, getpid loop rate
// The C helpers (bench/trace/c/: `wrap`, `getpid_loop`) are compiled into a temporary directory for the run.
// bpfkit runs as users run it: dist/bpfkit.mjs (the bundled `bpfkit` command), else dist/src/cli/main.js.
// Needs root and /usr/bin/bpftrace (or $BPFTRACE). Every child is killed on exit, error or Ctrl-C. Exit codes:
// 0 ran (goals may be missed: see the table), 1 a measurement failed, 2 cannot run (not root, no bpftrace, bpfkit
// trace not working).
import { release } from 'node:os';
import { costOnce, loopRate, type CostSample } from './cost.js';
import { launchOnce, type LaunchOptions, type LaunchSample } from './launch.js';
import { printfOnce, type PrintfSample } from './printf.js';
import { killAll, TracerRun } from './process.js';
import { median, printTable, writeJson, type Goal, type Row } from './report.js';
import { allSyscalls, biolatency, runqlat, trivial, twentyProbes, type BenchScript } from './scripts.js';
import { bpfkitTool, bpftraceTool, bpftraceVersion, Helpers, staleBundleWarning, type Tool } from './tools.js';
import { attempt, failures, log, messageOf, reportFailures } from '../failures.js';

interface Options {
  json?: string;
  runs: number;
  printfCalls: number;
  printfRuns: number;
  costCalls: number;
  allSyscalls: boolean;
  bpfkitEntry?: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { runs: 5, printfCalls: 1_000_000, printfRuns: 2, costCalls: 5_000_000, allSyscalls: true };
  const num = (i: number) => {
    const v = Number(argv[i]);
    if (!Number.isInteger(v) || v <= 0) usage(`${argv[i - 1]} needs a positive integer`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    switch (argv[i]) {
      case '--json': o.json = argv[++i] ?? usage('--json needs a file'); break;
      case '--runs': o.runs = num(++i); break;
      case '--printf-calls': o.printfCalls = num(++i); break;
      case '--printf-runs': o.printfRuns = num(++i); break;
      case '--cost-calls': o.costCalls = num(++i); break;
      case '--no-all-syscalls': o.allSyscalls = false; break;
      case '--bpfkit-entry': o.bpfkitEntry = argv[++i] ?? usage('--bpfkit-entry needs a path'); break;
      case '--quick': Object.assign(o, { runs: 2, printfCalls: 300_000, printfRuns: 1, costCalls: 2_000_000 }); break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument '${argv[i]}'`);
    }
  }
  return o;
}

function usage(error?: string): never {
  if (error) console.error(`bench: ${error}`);
  console.error('usage: node dist/bench/trace/run.js [--json FILE] [--runs N] [--printf-calls N] [--printf-runs N]\n'
    + '       [--cost-calls N] [--no-all-syscalls] [--quick] [--bpfkit-entry dist/src/cli/main.js]');
  process.exit(error ? 2 : 0);
}


/** Can this tool run the trivial script at all? Returns why not. */
async function smokeTest(helpers: Helpers, tool: Tool): Promise<string | undefined> {
  const run = new TracerRun(helpers.wrap, tool.command(trivial.text));
  try {
    await run.waitReady(30_000);
    await run.waitExit(30_000);
    return undefined;
  } catch (err) {
    return messageOf(err);
  } finally {
    run.kill();
  }
}

type Samples = Record<Tool['name'], LaunchSample[]>;

const launchDefaults: LaunchOptions = { readyTimeoutMs: 30_000, exitTimeoutMs: 6_000, holdMs: 300, releaseTimeoutMs: 15_000 };

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) {
    console.error('bench: needs root (both tracers load BPF programs)');
    return 2;
  }
  const version = bpftraceVersion();
  if (!version) {
    console.error(`bench: bpftrace not found or not runnable at ${bpftraceTool().describe} (apt-get install bpftrace, or set BPFTRACE)`);
    return 2;
  }
  const started = performance.now();
  using helpers = new Helpers();
  const kit = bpfkitTool(opts.bpfkitEntry);
  const ref = bpftraceTool();
  const stale = staleBundleWarning(kit);
  if (stale) log(`warning: ${stale}`);
  log(`${kit.describe} against ${version}`);
  for (const tool of [ref, kit]) {
    const why = await smokeTest(helpers, tool);
    if (why) {
      console.error(`bench: ${tool.name} cannot run \`${trivial.text}\`: ${why}`);
      return 2;
    }
  }

  // ---- start-up, exit, peak RSS: alternating which tool goes first, waiting for the kernel to let go between
  const scripts = [trivial, biolatency, runqlat, twentyProbes];
  const launches = new Map<BenchScript, Samples>(scripts.map((s) => [s, { bpfkit: [], bpftrace: [] }]));
  for (let round = 0; round < opts.runs; round++) {
    log(`launch round ${round + 1}/${opts.runs}`);
    for (const script of scripts) {
      for (const tool of round % 2 ? [ref, kit] : [kit, ref]) {
        const s = await attempt(`${tool.name} ${script.name}`, () => launchOnce(helpers, tool, script, launchDefaults));
        if (s) launches.get(script)![tool.name].push(s);
      }
    }
  }
  if (opts.allSyscalls) {
    const s: Samples = { bpfkit: [], bpftrace: [] };
    launches.set(allSyscalls, s);
    // Once each: bpftrace needs ~30 s to exit from 361 tracepoints (capped at 60 s); bpfkit's programs may stay
    // loaded a while after it is gone, so wait for them before bpftrace starts (the kernel serialises the work).
    log('sys_enter_* (bpfkit)');
    const a = await attempt('bpfkit sys_enter_*', () => launchOnce(helpers, kit, allSyscalls, { ...launchDefaults, releaseTimeoutMs: 90_000 }));
    if (a) s.bpfkit.push(a);
    log('sys_enter_* (bpftrace: ~30 s to exit)');
    const b = await attempt('bpftrace sys_enter_*', () => launchOnce(helpers, ref, allSyscalls, { ...launchDefaults, exitTimeoutMs: 60_000, releaseTimeoutMs: 30_000 }));
    if (b) s.bpftrace.push(b);
  }

  // ---- printf throughput
  const printfs: Record<Tool['name'], PrintfSample[]> = { bpfkit: [], bpftrace: [] };
  for (let round = 0; round < opts.printfRuns; round++) {
    for (const tool of round % 2 ? [ref, kit] : [kit, ref]) {
      log(`printf ${tool.name} (${opts.printfCalls} getpid calls)`);
      const s = await attempt(`${tool.name} printf`, () => printfOnce(helpers, tool, opts.printfCalls, 120_000));
      if (s) printfs[tool.name].push(s);
    }
  }

  // ---- in-kernel cost, the bare loop measured between the tools
  log('in-kernel cost');
  const baseline: number[] = [];
  const costs: Partial<Record<Tool['name'], CostSample>> = {};
  const bare = () => {
    for (let i = 0; i < 2; i++) baseline.push(loopRate(helpers, opts.costCalls));
  };
  bare();
  for (const tool of [kit, ref]) {
    const c = await attempt(`${tool.name} in-kernel cost`, () => costOnce(helpers, tool, opts.costCalls, 3));
    if (c) costs[tool.name] = c;
    bare();
  }

  // ---- where bpfkit's start-up goes: node alone, node + the command line, then the runtime's own timings
  log('start-up breakdown');
  const firstLine = async (argv: string[], readyLine: RegExp) => {
    const run = new TracerRun(helpers.wrap, argv, { readyLine });
    try {
      const ms = await run.waitReady(30_000);
      await run.waitExit(30_000);
      return ms;
    } finally {
      run.kill();
    }
  };
  const nodeAlone: number[] = [];
  const commandLine: number[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const a = await attempt('node alone', () => firstLine([process.execPath, '-e', 'console.log("ready")'], /^ready$/));
    if (a !== undefined) nodeAlone.push(a);
    const b = await attempt('bpfkit trace -V', () => firstLine([process.execPath, kit.entry!, 'trace', '-V'], /^bpfkit trace v/));
    if (b !== undefined) commandLine.push(b);
  }

  // ---- the table
  const rows: Row[] = [];
  const pick = (xs: LaunchSample[], f: (s: LaunchSample) => number | undefined) => xs.map(f).filter((v): v is number => v !== undefined);
  const launchRow = (metric: string, unit: string, s: Samples, f: (x: LaunchSample) => number | undefined, goal?: Goal, capped?: (x: LaunchSample) => boolean): Row => {
    const a = pick(s.bpfkit, f);
    const b = pick(s.bpftrace, f);
    const note = (xs: LaunchSample[]) => (capped && xs.some(capped) ? `> ${median(pick(xs, f)).toFixed(0)} ${unit}` : undefined);
    return {
      metric, unit, goal,
      bpfkit: a.length ? median(a) : undefined, bpftrace: b.length ? median(b) : undefined,
      bpfkitNote: note(s.bpfkit), bpftraceNote: note(s.bpftrace),
      samples: { bpfkit: a, bpftrace: b },
    };
  };
  const label = (script: BenchScript, s: Samples) => {
    const probes = s.bpftrace[0]?.probes ?? s.bpfkit[0]?.probes ?? script.probes;
    return `${script.name} (${probes} probe${probes === 1 ? '' : 's'})`;
  };
  for (const [script, s] of launches) {
    rows.push(launchRow(`start-up: ${label(script, s)}`, 'ms', s, (x) => x.startMs, { op: '<=', value: script === trivial ? 1 : 0.5 }));
  }
  const stuckNotes: string[] = [];
  for (const [script, s] of launches) {
    const how = script === trivial ? 'exit() → gone' : 'SIGINT → gone';
    if (script === allSyscalls) {
      rows.push(launchRow(`exit: ${script.name}, ${how}`, 'ms', s, (x) => x.exitMs, { op: '<=', value: 0.1 }, (x) => x.exitCapped));
      continue;
    }
    // A run that ignored SIGINT (seen with bpftrace: asleep in epoll_wait) is left out of the median, and counted.
    rows.push(launchRow(`exit: ${script.name}, ${how}`, 'ms', s, (x) => (x.exitCapped ? undefined : x.exitMs), { op: '<=', value: 0.1 }));
    for (const tool of ['bpfkit', 'bpftrace'] as const) {
      const stuck = s[tool].filter((x) => x.exitCapped).length;
      if (stuck) stuckNotes.push(`${tool} ${script.name}: ${stuck} of ${s[tool].length} runs still running ${launchDefaults.exitTimeoutMs / 1000} s after SIGINT (killed; left out of the exit median)`);
    }
  }
  for (const [script, s] of launches) {
    if (script === trivial) continue;
    rows.push(launchRow(`  kernel done after exit (programs unloaded, fds released): ${script.name}`, 'ms', s, (x) => x.releaseMs));
  }
  for (const [script, s] of launches) {
    rows.push(launchRow(`peak RSS: ${script.name}`, 'MiB', s, (x) => x.maxRssMiB, { op: '<=', value: 0.6 }));
  }
  const pf = (tool: Tool['name'], f: (s: PrintfSample) => number) => (printfs[tool].length ? median(printfs[tool].map(f)) : undefined);
  rows.push({ metric: `printf: lines/s delivered (${opts.printfCalls} calls)`, unit: '/s', bpfkit: pf('bpfkit', (s) => s.deliveredPerSec), bpftrace: pf('bpftrace', (s) => s.deliveredPerSec), goal: { op: '>=', value: 2 } });
  rows.push({ metric: '  printf: lost (reported)', unit: '%', bpfkit: pf('bpfkit', (s) => (100 * s.lost) / s.calls), bpftrace: pf('bpftrace', (s) => (100 * s.lost) / s.calls) });
  rows.push({ metric: '  printf: neither printed nor reported lost', unit: '%', bpfkit: pf('bpfkit', (s) => (100 * s.unaccounted) / s.calls), bpftrace: pf('bpftrace', (s) => (100 * s.unaccounted) / s.calls) });
  rows.push({ metric: '  printf: traced loop rate', unit: '/s', bpfkit: pf('bpfkit', (s) => s.loopPerSec), bpftrace: pf('bpftrace', (s) => s.loopPerSec) });
  const base = median(baseline);
  const c = (tool: Tool['name'], f: (s: CostSample) => number) => (costs[tool] ? f(costs[tool]!) : undefined);
  const addedNs = (s: CostSample) => 1e9 / median(s.loopPerSec) - 1e9 / base;
  rows.push({ metric: 'count(): xlated instructions', unit: '', bpfkit: c('bpfkit', (s) => s.xlatedInsns), bpftrace: c('bpftrace', (s) => s.xlatedInsns), goal: { op: '<=', value: 1 } });
  rows.push({ metric: '  count(): JITed bytes', unit: 'B', bpfkit: c('bpfkit', (s) => s.jitedBytes), bpftrace: c('bpftrace', (s) => s.jitedBytes) });
  rows.push({ metric: 'count(): ns per program run (run-time stats)', unit: 'ns', bpfkit: c('bpfkit', (s) => s.nsPerRun), bpftrace: c('bpftrace', (s) => s.nsPerRun), goal: { op: '<=', value: 1 } });
  rows.push({ metric: 'count(): ns added per getpid call', unit: 'ns', bpfkit: c('bpfkit', addedNs), bpftrace: c('bpftrace', addedNs), goal: { op: '<=', value: 1 } });
  rows.push({ metric: `  count(): loop rate (bare: ${(base / 1e6).toFixed(2)} M/s)`, unit: '/s', bpfkit: c('bpfkit', (s) => median(s.loopPerSec)), bpftrace: c('bpftrace', (s) => median(s.loopPerSec)) });

  console.log();
  printTable(rows);
  console.log();
  for (const tool of ['bpfkit', 'bpftrace'] as const) {
    const s = costs[tool];
    if (s && s.counted < s.calls) console.log(`  check: ${tool} counted ${s.counted} getpid calls of getpid_loop, ${s.calls} were made`);
  }
  for (const note of stuckNotes) console.log(`  ${note}`);
  const breakdown = startupBreakdown(launches, nodeAlone, commandLine);
  console.log(breakdown.text);
  console.log(`  bpfkit: ${kit.describe}; bpftrace: ${version}; kernel ${release()}; medians of ${opts.runs} launches `
    + `(${opts.allSyscalls ? 'sys_enter_*: 1 each, ' : ''}printf: ${opts.printfRuns} each); total ${((performance.now() - started) / 1000).toFixed(0)} s`);
  const exitCode = reportFailures();
  if (opts.json) {
    writeJson(opts.json, {
      date: new Date().toISOString(), kernel: release(), node: process.version, bpftrace: version, bpfkit: kit.describe,
      options: opts, failures, stuck: stuckNotes, baselineLoopPerSec: baseline, bpfkitStartupBreakdown: breakdown.figures,
    }, rows, { launches: Object.fromEntries([...launches].map(([k, v]) => [k.name, v])), printf: printfs, cost: costs });
    log(`wrote ${opts.json}`);
  }
  return exitCode;
}

/** Medians of where bpfkit's start-up (and stop) time goes, per script. */
function startupBreakdown(launches: Map<BenchScript, Samples>, nodeAlone: number[], commandLine: number[]) {
  const head = ['script', 'launch→ready', 'before run', 'load', 'attach', 'BEGIN', 'detach', 'stop'];
  const figures: Record<string, Record<string, number>> = {};
  const body: string[][] = [];
  for (const [script, s] of launches) {
    const xs = s.bpfkit.filter((x) => x.timings);
    if (xs.length === 0) continue;
    const m = (f: (x: LaunchSample) => number) => median(xs.map(f));
    const f = {
      ready: m((x) => x.startMs),
      beforeRun: m((x) => x.startMs - x.timings!.beganMs),
      load: m((x) => x.timings!.loadedMs),
      attach: m((x) => x.timings!.attachedMs - x.timings!.loadedMs),
      begin: m((x) => x.timings!.beganMs - x.timings!.attachedMs),
      detach: m((x) => x.timings!.detachMs),
      stop: m((x) => x.timings!.stopMs),
    };
    figures[script.name] = f;
    body.push([script.name, ...Object.values(f).map((v) => v.toFixed(1))]);
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`;
  const text = [
    `  bpfkit start-up, medians in ms: node alone (launch → first line) ${median(nodeAlone).toFixed(1)}; `
      + `node + bpfkit's command line loaded (trace -V) ${median(commandLine).toFixed(1)}.`,
    '  "before run": launch → the runtime starts (node, modules, compile); load/attach/BEGIN/detach/stop: the runtime\'s',
    '  BPFKIT_TRACE_TIMINGS (detach: closing the attachments; stop: stop request → maps printed).',
    line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line),
  ].join('\n');
  return { text, figures: { nodeAloneMs: median(nodeAlone), commandLineMs: median(commandLine), scripts: figures } };
}

try {
  process.exitCode = await main();
} catch (err) {
  console.error(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  killAll();
  // Do not wait for anything left behind (a killed tracer still tearing down in the kernel holds our pipes).
  setTimeout(() => process.exit(), 100).unref();
}
