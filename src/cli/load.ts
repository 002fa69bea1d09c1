// `bpfkit load FILE.bpf.o`: loads a clang-built object, attaches every program by its section name, prints what
// was attached, streams ring buffer records as JSON lines, and detaches on Ctrl-C.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BtfKind } from '../btf/types.js';
import { decodeBtfValue } from '../elf/btf-values.js';
import { readObjectFile, type ObjectSpec } from '../elf/object.js';
import type { Link } from '../kernel/link.js';
import { ensureBpffs } from '../kernel/mounts.js';
import { ObjectCollection, type AttachContext, type VariableValue } from '../kernel/object.js';
import { RingBufferReader } from '../kernel/readers/ringbuf.js';
import { MapType, ProgType } from '../sys/constants.js';
import { requireRoot } from './errors.js';

const USAGE = `usage: bpfkit load FILE.bpf.o [options]

Loads every map and program of a BPF object, attaches each program by its section name, prints what was
attached and streams ring buffer records as JSON lines until Ctrl-C (then detaches).

options:
  --no-attach          load and verify only; exit 0 when every program passed the verifier
  --pin DIR            pin maps (DIR/maps/NAME) and links (DIR/links/PROGRAM) under bpffs
  --set NAME=VALUE     set a global variable (e.g. a const volatile in .rodata) before load
  --iface IF           interface for xdp/tcx programs
  --cgroup DIR         cgroup v2 directory for cgroup programs
  --pid PID            only this process, for uprobes and USDT
  --record MAP=TYPE    decode MAP's records as the BTF struct TYPE (default: 'struct event' when present)
  --duration SECONDS   detach and exit after this long
`;

interface Options {
  file: string;
  attach: boolean;
  pin?: string;
  constants: Record<string, VariableValue>;
  ctx: AttachContext;
  records: Record<string, string>;
  duration?: number;
}

function parse(args: string[]): Options | string {
  const o: Options = { file: '', attach: true, constants: {}, ctx: {}, records: {} };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--no-attach': o.attach = false; break;
      case '--pin': o.pin = value(); break;
      case '--set': {
        const [k, v] = splitPair(value(), a);
        o.constants[k] = /^-?(0x[0-9a-f]+|\d+)$/i.test(v) ? BigInt(v) : v === 'true' ? true : v === 'false' ? false : new TextEncoder().encode(v);
        break;
      }
      case '--iface': o.ctx.iface = value(); break;
      case '--cgroup': o.ctx.cgroup = value(); break;
      case '--pid': o.ctx.pid = Number(value()); break;
      case '--record': { const [k, v] = splitPair(value(), a); o.records[k] = v; break; }
      case '--duration': o.duration = Number(value()); break;
      default:
        if (a.startsWith('-')) return `unknown option ${a}`;
        if (o.file) return `only one object file, got '${o.file}' and '${a}'`;
        o.file = a;
    }
  }
  return o.file ? o : 'no object file given';
}

function splitPair(s: string, opt: string): [string, string] {
  const eq = s.indexOf('=');
  if (eq <= 0) throw new Error(`${opt} wants NAME=VALUE, got '${s}'`);
  return [s.slice(0, eq), s.slice(eq + 1)];
}

const line = (v: unknown) => process.stdout.write(JSON.stringify(v) + '\n');

export async function run(args: string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const opts = parse(args);
  if (typeof opts === 'string') {
    process.stderr.write(`bpfkit load: ${opts}\n\n${USAGE}`);
    return 2;
  }
  if (!requireRoot()) return 1;
  const spec = readObjectFile(opts.file);
  const started = performance.now();
  using obj = ObjectCollection.load(spec, { constants: opts.constants });
  const loadMs = performance.now() - started;
  for (const [name, p] of Object.entries(obj.programs)) {
    line({ event: 'loaded', program: name, section: spec.programs[name]!.sectionName, type: ProgType[p.type], id: p.info().id });
  }
  if (obj.btfError) line({ event: 'warning', message: obj.btfError });
  if (opts.pin) pinMaps(obj, opts.pin);
  if (!opts.attach) {
    line({ event: 'verified', programs: Object.keys(obj.programs).length, maps: Object.keys(obj.maps).length, loadMs: Math.round(loadMs * 10) / 10 });
    return 0;
  }
  const links: Link[] = [];
  const readers: RingBufferReader[] = [];
  try {
    for (const name of Object.keys(obj.programs)) {
      try {
        const link = obj.attach(name, opts.ctx);
        links.push(link);
        line({ event: 'attached', program: name, to: link.description });
        if (opts.pin && link.fd) {
          mkdirSync(join(opts.pin, 'links'), { recursive: true });
          link.pin(join(opts.pin, 'links', name));
        }
      } catch (err) {
        line({ event: 'not-attached', program: name, reason: (err as Error).message });
      }
    }
    for (const [name, m] of Object.entries(obj.maps)) {
      if (m.type !== MapType.RINGBUF) continue;
      const decode = recordDecoder(spec, name, opts.records[name]);
      const reader = new RingBufferReader(m);
      reader.onRecord((r) => line({ map: name, ...decode(r) }));
      readers.push(reader);
    }
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      if (opts.duration !== undefined) setTimeout(stop, opts.duration * 1000);
    });
    for (const r of readers) r.readAvailable((rec) => line({ map: r.name, ...recordDecoder(spec, r.name, opts.records[r.name])(rec) }));
  } finally {
    for (const r of readers) r.close();
    for (const l of links) l.close();
  }
  line({ event: 'detached', links: links.length });
  return 0;
}

function pinMaps(obj: ObjectCollection, dir: string): void {
  ensureBpffs();
  mkdirSync(join(dir, 'maps'), { recursive: true });
  for (const [name, m] of Object.entries(obj.maps)) m.pin(join(dir, 'maps', name.replace(/^\./, '')));
}

/** Decodes ring buffer records by a BTF struct when one is named (or `struct event` exists), else as hex. */
function recordDecoder(spec: ObjectSpec, map: string, typeName?: string): (r: Uint8Array) => Record<string, unknown> {
  const btf = spec.btfTypes;
  const name = (typeName ?? 'struct event').replace(/^struct\s+/, '');
  const id = btf?.idsByName(name, BtfKind.STRUCT)[0];
  if (!btf || id === undefined) {
    if (typeName) throw new Error(`--record ${map}=${typeName}: the object's BTF has no struct '${name}'`);
    return (r) => ({ hex: Buffer.from(r).toString('hex') });
  }
  return (r) => ({ record: decodeBtfValue(btf, id, r) });
}
