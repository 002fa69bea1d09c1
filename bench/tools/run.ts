// `node dist/bench/tools/run.js [--json FILE] [--runs N] [--event-runs N] [--seconds S] [--hold MS] [--tools a,b]
//                               [--no-events] [--quick] [--bpfkit-entry PATH]`
//
// bpfkit's classic tools against the Debian libbpf-tools binaries of the same name, side by side in one run, as
// ratios bpfkit ÷ libbpf-tools (medians, alternating which goes first):
//   start-up   spawn → the first stdout line (the header, printed once the probes are attached), for execsnoop,
//              opensnoop, exitsnoop, biolatency, runqlat and tcplife
//   peak RSS   over the tool's whole life (wait4's ru_maxrss, reported by bench/trace's `wrap` helper)
//   events/s   the exec and open rates execsnoop and opensnoop keep up with: a C generator offers rising rates for a
//              second each (then flat out), the harness counts the tool's lines carrying the run's tag on the pipe;
//              reported as the highest rate before any loss, and the events printed per second flat out
// bpfkit runs as users run it: `node dist/bpfkit.mjs <tool>` (built if missing). A tool bpfkit does not have yet
// is skipped, with the reason printed. The C helpers are compiled into a temporary directory for the run. Needs
// root. Exit codes: 0 ran (goals may be missed: see the table), 1 a measurement failed, 2 cannot run.
import { cpus, loadavg, release } from 'node:os';
import { killAll, TracerRun } from '../trace/process.js';
import { Rig } from './generators.js';
import { bpfkitImpl, libbpfToolsImpl, staleBundleWarning, type Impl, type ImplName } from './impls.js';
import { median, printColumns, printTable, writeJson, type Row } from './report.js';
import { startupOnce, type StartupOptions, type StartupSample } from './startup.js';
import { throughputOnce, toolOfLoad, type LoadKind, type ThroughputSample } from './throughput.js';
import { attempt, failures, log, reportFailures } from '../failures.js';

const DEFAULT_TOOLS = ['execsnoop', 'opensnoop', 'exitsnoop', 'biolatency', 'runqlat', 'tcplife'];
/** Offered rates per second for the event runs; 0 = flat out (the generator as fast as it goes, traced). */
const RATES: Record<LoadKind, number[]> = { exec: [250, 500, 1000, 2000, 0], open: [10_000, 20_000, 40_000, 80_000, 160_000, 0] };

interface Options {
  json?: string;
  runs: number;
  eventRuns: number;
  seconds: number;
  /** ms each start-up launch keeps tracing before SIGINT. */
  holdMs: number;
  tools: string[];
  events: boolean;
  bpfkitEntry?: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { runs: 5, eventRuns: 1, seconds: 1, holdMs: 500, tools: DEFAULT_TOOLS, events: true };
  const num = (i: number) => {
    const v = Number(argv[i]);
    if (!Number.isFinite(v) || v <= 0) usage(`${argv[i - 1]} needs a positive number`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    switch (argv[i]) {
      case '--json': o.json = argv[++i] ?? usage('--json needs a file'); break;
      case '--runs': o.runs = Math.ceil(num(++i)); break;
      case '--event-runs': o.eventRuns = Math.ceil(num(++i)); break;
      case '--seconds': o.seconds = num(++i); break;
      case '--hold': o.holdMs = num(++i); break;
      case '--tools': o.tools = (argv[++i] ?? usage('--tools needs a list')).split(',').filter(Boolean); break;
      case '--no-events': o.events = false; break;
      case '--bpfkit-entry': o.bpfkitEntry = argv[++i] ?? usage('--bpfkit-entry needs a path'); break;
      case '--quick': Object.assign(o, { runs: 2, eventRuns: 1, seconds: 0.5 }); break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument '${argv[i]}'`);
    }
  }
  return o;
}

function usage(error?: string): never {
  if (error) console.error(`bench: ${error}`);
  console.error('usage: node dist/bench/tools/run.js [--json FILE] [--runs N] [--event-runs N] [--seconds S] [--hold MS]\n'
    + `       [--tools ${DEFAULT_TOOLS.join(',')}] [--no-events] [--quick] [--bpfkit-entry dist/src/cli/main.js]`);
  process.exit(error ? 2 : 0);
}

const skips: string[] = [];

function skip(what: string): void {
  skips.push(what);
  log(`skip ${what}`);
}

type PerImpl<T> = Record<ImplName, T[]>;
const perImpl = <T>(): PerImpl<T> => ({ bpfkit: [], 'libbpf-tools': [] });

const startupDefaults: Omit<StartupOptions, 'holdMs'> = { readyTimeoutMs: 20_000, exitTimeoutMs: 8_000 };

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) {
    console.error('bench: needs root (the tools load BPF programs)');
    return 2;
  }
  const started = performance.now();
  const loadBefore = loadavg()[0]!;
  if (loadBefore > cpus().length) log(`warning: the machine is busy (load average ${loadBefore.toFixed(1)} on ${cpus().length} CPUs): figures will be noisy`);
  using rig = new Rig();
  const kit = bpfkitImpl(opts.bpfkitEntry);
  const ref = libbpfToolsImpl();
  const stale = staleBundleWarning(kit.entry);
  if (stale) log(`warning: ${stale}`);
  for (const impl of [kit, ref]) if (impl.warning) log(`warning: ${impl.warning}`);
  log(`${kit.describe} against ${ref.describe}`);

  // ---- which implementation runs which tool
  const runnable = new Map<string, Impl[]>();
  for (const tool of opts.tools) {
    const impls: Impl[] = [];
    for (const impl of [kit, ref]) {
      const why = impl.missing(tool);
      if (why) skip(`${impl.name} ${tool}: ${why}`);
      else impls.push(impl);
    }
    // Without bpfkit's there is nothing to compare.
    if (impls.some((i) => i.name === 'bpfkit')) runnable.set(tool, impls);
  }

  // ---- start-up and peak RSS: alternating which goes first; an implementation that fails a tool is not retried
  const launches = new Map<string, PerImpl<StartupSample>>([...runnable.keys()].map((t) => [t, perImpl<StartupSample>()]));
  const broken = new Set<string>();
  for (let round = 0; round < opts.runs; round++) {
    log(`start-up round ${round + 1}/${opts.runs}`);
    for (const [tool, impls] of runnable) {
      for (const impl of round % 2 ? [...impls].reverse() : impls) {
        const key = `${impl.name} ${tool}`;
        if (broken.has(key)) continue;
        const s = await attempt(`start-up ${key}`, () => startupOnce(rig.wrap, impl, tool, [], { ...startupDefaults, holdMs: opts.holdMs }));
        if (s) launches.get(tool)![impl.name].push(s);
        else broken.add(key);
      }
    }
  }

  // ---- where bpfkit's start-up goes: Node alone, then Node with bpfkit's command line loaded (its listing)
  const nodeFloor: FirstLine[] = [];
  const commandLine: FirstLine[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const a = await attempt('node alone', () => firstLine(rig.wrap, [process.execPath, '-e', 'console.log("ready")'], /^ready$/));
    if (a) nodeFloor.push(a);
    const b = await attempt('bpfkit listing', () => firstLine(rig.wrap, [process.execPath, kit.entry], /^usage: bpfkit/));
    if (b) commandLine.push(b);
  }

  // ---- events per second, each offered rate once per implementation (alternating), then flat out
  const events = new Map<LoadKind, PerImpl<ThroughputSample>>();
  if (opts.events) {
    for (const kind of ['exec', 'open'] as const) {
      const tool = toolOfLoad[kind];
      const impls = runnable.get(tool);
      if (!impls) {
        if (opts.tools.includes(tool)) skip(`${kind}s/s: bpfkit has no ${tool}`);
        continue;
      }
      const samples = perImpl<ThroughputSample>();
      events.set(kind, samples);
      let turn = 0;
      for (const rate of RATES[kind]) {
        for (let trial = 0; trial < opts.eventRuns; trial++) {
          for (const impl of turn++ % 2 ? [...impls].reverse() : impls) {
            const key = `${impl.name} ${tool}`;
            if (broken.has(`events ${key}`)) continue;
            log(`${key}: ${rate ? `${rate} ${kind}s/s` : `${kind}s flat out`} for ${opts.seconds} s`);
            const s = await attempt(`events ${key} at ${rate || 'flat out'}`, () => throughputOnce(rig, impl, kind, rate, opts.seconds));
            if (s) samples[impl.name].push(s);
            else broken.add(`events ${key}`);
          }
        }
      }
    }
  }

  // ---- the table
  const rows: Row[] = [];
  const medianOf = (xs: (number | undefined)[]) => {
    const v = xs.filter((x): x is number => x !== undefined);
    return { m: v.length ? median(v) : undefined, v };
  };
  const launchRow = (metric: string, unit: string, s: PerImpl<StartupSample>, f: (x: StartupSample) => number | undefined, goal: Row['goal'], tool: string): Row => {
    const a = medianOf(s.bpfkit.map(f));
    const b = medianOf(s['libbpf-tools'].map(f));
    const impls = runnable.get(tool)!;
    return {
      metric, unit, goal, bpfkit: a.m, libbpf: b.m,
      ...(impls.includes(ref) ? {} : { libbpfNote: 'none' }),
      samples: { bpfkit: a.v, libbpf: b.v },
    };
  };
  for (const [tool, s] of launches) rows.push(launchRow(`start-up: ${tool}`, 'ms', s, (x) => x.startMs, { op: '<=', value: 1.5 }, tool));
  for (const [tool, s] of launches) rows.push(launchRow(`peak RSS: ${tool}`, 'MiB', s, (x) => x.maxRssMiB, { op: '<=', value: 4 }, tool));
  for (const [tool, s] of launches) rows.push(launchRow(`  VmHWM before SIGINT: ${tool}`, 'MiB', s, (x) => x.hwmBeforeStopMiB, undefined, tool));
  for (const [tool, s] of launches) rows.push(launchRow(`  exit (SIGINT → gone): ${tool}`, 'ms', s, (x) => x.exitMs, undefined, tool));
  for (const [kind, s] of events) {
    const unit = '/s';
    const a = lossless(s.bpfkit);
    const b = lossless(s['libbpf-tools']);
    rows.push({
      metric: `${toolOfLoad[kind]}: ${kind}s/s kept up with, no loss`, unit, goal: { op: '>=', value: 0.5 },
      bpfkit: a.rate, libbpf: b.rate,
      ...(a.note ? { bpfkitNote: a.note } : {}), ...(b.note ? { libbpfNote: b.note } : {}),
      // A lower bound on top of the ratio: the true ratio is higher; below: lower; both: unknown.
      ...(a.note || b.note ? { ratioBound: a.note ? (b.note ? 'unknown' as const : 'lower' as const) : 'upper' as const } : {}),
    });
    const flat = (xs: ThroughputSample[]) => xs.filter((x) => x.offered === 0);
    const fk = flat(s.bpfkit);
    const fl = flat(s['libbpf-tools']);
    // Flat out, the generator goes as fast as the machine lets it while traced: how many events the tool printed.
    rows.push({
      metric: `${toolOfLoad[kind]}: flat out, ${kind}s/s printed`, unit, goal: { op: '>=', value: 0.5 },
      bpfkit: medianOf(fk.map((x) => x.generatedPerSec * x.fraction)).m, libbpf: medianOf(fl.map((x) => x.generatedPerSec * x.fraction)).m,
    });
    rows.push({
      metric: `  ${toolOfLoad[kind]}: flat out, ${kind}s/s generated (traced)`, unit,
      bpfkit: medianOf(fk.map((x) => x.generatedPerSec)).m, libbpf: medianOf(fl.map((x) => x.generatedPerSec)).m,
    });
    rows.push({
      metric: `  ${toolOfLoad[kind]}: flat out, printed`, unit: '%',
      bpfkit: medianOf(fk.map((x) => 100 * x.fraction)).m, libbpf: medianOf(fl.map((x) => 100 * x.fraction)).m,
    });
    const unreported = (x: ThroughputSample) => (x.generated > 0 ? (100 * Math.max(0, x.generated - x.delivered - x.reportedLost)) / x.generated : undefined);
    rows.push({
      metric: `  ${toolOfLoad[kind]}: flat out, neither printed nor reported lost`, unit: '%',
      bpfkit: medianOf(fk.map(unreported)).m, libbpf: medianOf(fl.map(unreported)).m,
    });
  }

  console.log();
  printTable(rows);
  if (events.size) {
    console.log('\n  events per offered rate (generated/s, delivered %, reported lost):');
    const body: string[][] = [];
    for (const [kind, s] of events) {
      for (const rate of RATES[kind]) {
        const cell = (xs: ThroughputSample[]) => {
          const at = xs.filter((x) => x.offered === rate);
          if (!at.length) return '-';
          return at.map((x) => `${Math.round(x.generatedPerSec)}/s ${(100 * x.fraction).toFixed(x.fraction < 1 && x.fraction > 0.999 ? 2 : 1)}%${x.reportedLost ? ` lost ${x.reportedLost}` : ''}`).join(', ');
        };
        body.push([`${toolOfLoad[kind]} ${rate ? `${rate} ${kind}s/s` : 'flat out'}`, cell(s.bpfkit), cell(s['libbpf-tools'])]);
      }
    }
    printColumns(['offered', 'bpfkit', 'libbpf-tools'], body, '  ');
  }
  console.log();
  const floor = (xs: FirstLine[]) => `first line ${median(xs.map((x) => x.startMs)).toFixed(1)} ms, peak RSS ${median(xs.map((x) => x.maxRssMiB)).toFixed(1)} MiB`;
  if (nodeFloor.length) console.log(`  Node's own floor (node -e 'console.log("ready")', medians): ${floor(nodeFloor)}`);
  if (commandLine.length) console.log(`  Node + bpfkit's command line, no BPF (\`${kit.describe.replace(' <tool>', '')}\` listing): ${floor(commandLine)}`);
  console.log('  start-up: spawn → first stdout line (libbpf-tools line-buffered via libstdbuf, as in a terminal); peak RSS:\n'
    + '  wait4 ru_maxrss over the whole life; events: nothing filtered in the kernel, stdout to a pipe (libbpf-tools\n'
    + '  block-buffered, as `tool | grep`); "no loss": the highest rate generated with every event printed, below the\n'
    + '  lowest rate at which any was lost; ">= N /s": nothing lost in any run (the limit is the generator\'s on this\n'
    + '  machine, not the tool\'s), so the ratio is only a bound (<= / >=, or ~ when both are bounds) and "?" where\n'
    + '  that cannot settle the goal.');
  console.log(`  bpfkit: ${kit.describe}; libbpf-tools: ${ref.describe}; kernel ${release()}; medians of ${opts.runs} launches, `
    + `events: ${opts.eventRuns} run(s) of ${opts.seconds} s per rate; total ${((performance.now() - started) / 1000).toFixed(0)} s; `
    + `load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after (${cpus().length} CPUs)`);
  if (skips.length) {
    console.log(`\n  skipped:`);
    for (const s of skips) console.log(`    ${s}`);
  }
  const exitCode = reportFailures();
  if (opts.json) {
    writeJson(opts.json, {
      date: new Date().toISOString(), kernel: release(), node: process.version, bpfkit: kit.describe, libbpfTools: ref.describe,
      options: opts, skips, failures, nodeFloor, bpfkitCommandLine: commandLine, loadAverage: { before: loadBefore, after: loadavg()[0] },
    }, rows, { startup: Object.fromEntries(launches), events: Object.fromEntries(events) });
    log(`wrote ${opts.json}`);
  }
  return exitCode;
}

/**
 * The rate a tool keeps up with before it loses any event: the highest rate generated, in a run that printed every
 * event, below the lowest rate of any run that did not. When no run lost anything the tool's limit was not reached:
 * the figure is a lower bound (shown with ">=").
 */
function lossless(xs: ThroughputSample[]): { rate: number | undefined; note?: string } {
  if (!xs.length) return { rate: undefined };
  const clean = (x: ThroughputSample) => x.generated > 0 && x.delivered >= x.generated;
  const firstLoss = Math.min(...xs.filter((x) => !clean(x)).map((x) => x.generatedPerSec));
  const kept = xs.filter((x) => clean(x) && x.generatedPerSec < firstLoss).map((x) => x.generatedPerSec);
  const rate = kept.length ? Math.max(...kept) : 0;
  if (Number.isFinite(firstLoss)) return { rate };
  return { rate, note: `>= ${rate >= 10_000 ? `${(rate / 1000).toFixed(1)}k` : rate.toFixed(0)} /s` };
}

interface FirstLine {
  startMs: number;
  maxRssMiB: number;
}

/** spawn → the line `readyLine` of a command that ends by itself, and its peak RSS. */
async function firstLine(wrap: string, argv: string[], readyLine: RegExp): Promise<FirstLine> {
  const run = new TracerRun(wrap, argv, { readyLine });
  try {
    const startMs = await run.waitReady(20_000);
    const exit = await run.waitExit(20_000);
    return { startMs, maxRssMiB: exit.maxRssKiB / 1024 };
  } finally {
    run.kill();
  }
}

try {
  process.exitCode = await main();
} catch (err) {
  console.error(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  killAll();
  // Do not wait for anything left behind (a killed tool still tearing down in the kernel holds our pipes).
  setTimeout(() => process.exit(), 100).unref();
}
