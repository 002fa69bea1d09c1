// A clang-built object in the kernel: global data maps (with .rodata set from TypeScript before load and frozen),
// every map and program created from the ObjectSpec, global variables readable and writable while running
// (mmap of the MMAPABLE data arrays), and each program attached by what its section name says.
import { readObjectFile, type GlobalVariable, type ObjectProgramSpec, type ObjectSpec } from '../elf/object.js';
import { readObject } from '../elf/object.js';
import { ProgType } from '../sys/constants.js';
import { kconfigData } from './kconfig.js';
import { Errno } from '../sys/errno.js';
import { BpfError, NotSupportedError } from '../sys/errors.js';
import { cgroup } from './attach/cgroup.js';
import { iter, iterTarget } from './attach/iter.js';
import { netfilter, type NetfilterOptions } from './attach/netfilter.js';
import { rawTracepoint } from './attach/raw-tracepoint.js';
import { skLookup } from './attach/sk-lookup.js';
import { socketFilter } from './attach/socket-filter.js';
import { tcx } from './attach/tcx.js';
import { tpBtf, tpBtfTarget } from './attach/tp-btf.js';
import { tracepoint } from './attach/tracepoint.js';
import { uprobe } from './attach/uprobe.js';
import { usdt } from './attach/usdt.js';
import { xdp, type XdpMode } from './attach/xdp.js';
import type { Link } from './link.js';
import { BpfMap, type MappedArray } from './map.js';
import { Program, type LoadOptions } from './program.js';
import { applyCoreRelocations, loadObjectBtf, mapBtfIds, programBtf, type CoreReport, type ObjectBtf } from './object-btf.js';

/** A value for a .rodata (or .data) variable before load: numbers are written in the object's byte order. */
export type VariableValue = number | bigint | boolean | Uint8Array;

export interface LoadObjectOptions {
  /** Initial values of global variables, most often `const volatile` ones in .rodata, by name. */
  constants?: Record<string, VariableValue>;
  /** Verifier log level for every program. */
  logLevel?: number;
  /** Load only these programs (default: all). */
  programs?: string[];
  /** Maps to use instead of creating them (shared or pinned maps). */
  replaceMaps?: Record<string, BpfMap>;
  /** Load without the object's BTF (no func_info/line_info, no BTF for maps). CO-RE still applies. */
  noBtf?: boolean;
}

/** Where programs whose section names need a place (xdp, tcx, cgroup, socket, ...) attach. */
export interface AttachContext {
  /** Interface for xdp/tc/tcx programs (name or ifindex). */
  iface?: string | number;
  /** Network namespace for xdp/tc/tcx/sk_lookup/netfilter. */
  netns?: string;
  xdpMode?: XdpMode;
  /** cgroup v2 directory for cgroup programs. */
  cgroup?: string;
  /** Socket fd for socket filters. */
  socketFd?: number;
  /** Netfilter hook for netfilter programs. */
  netfilter?: NetfilterOptions;
  /** Only this process, for uprobes and USDT. */
  pid?: number;
}

/** A program that could not be attached by its section name: why, in words. */
export class AttachNotPossibleError extends BpfError {
  override name = 'AttachNotPossibleError';
}

/** A global variable, live in its data map once loaded. */
export class Variable {
  constructor(
    readonly spec: GlobalVariable,
    private readonly view: () => Uint8Array,
    private readonly le: boolean,
    /** .rodata: frozen and mapped read-only, so set() refuses (a write would fault). */
    readonly readOnly: boolean,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  /** The variable's bytes: a live window into the mapped map (a copy for read-only data). */
  bytes(): Uint8Array {
    const live = this.view().subarray(this.spec.offset, this.spec.offset + this.spec.size);
    return this.readOnly ? live.slice() : live;
  }

  /** Reads an integer variable of 1, 2, 4 or 8 bytes (8-byte values as bigint). */
  get(): number | bigint {
    return readInt(this.bytes(), this.le, this.spec.name);
  }

  set(value: VariableValue): void {
    if (this.readOnly) {
      throw new TypeError(`variable '${this.spec.name}' is in ${this.spec.section}, which is frozen once loaded: set it with the 'constants' load option`);
    }
    writeValue(this.bytes(), value, this.le, this.spec.name);
  }
}

export class ObjectCollection implements Disposable {
  private readonly mappings = new Map<string, MappedArray<Uint8Array>>();

  private constructor(
    readonly spec: ObjectSpec,
    readonly maps: Record<string, BpfMap>,
    readonly programs: Record<string, Program>,
    private readonly owned: Set<BpfMap>,
    private readonly btf: ObjectBtf | undefined,
    /** What each program's CO-RE relocations resolved to on this kernel. */
    readonly core: Record<string, CoreReport[]>,
  ) {}

  /** Why the object's BTF was not loaded (the kernel refused it), when that happened. */
  get btfError(): string | undefined {
    return this.btf?.error;
  }

  static loadFile(path: string, opts: LoadObjectOptions = {}): ObjectCollection {
    return ObjectCollection.load(readObjectFile(path), opts);
  }

  static loadBytes(bytes: Uint8Array, opts: LoadObjectOptions = {}): ObjectCollection {
    return ObjectCollection.load(readObject(bytes), opts);
  }

  /** Creates the maps (global data with its initial values), loads the programs; closes all on failure. */
  static load(spec: ObjectSpec, opts: LoadObjectOptions = {}): ObjectCollection {
    const maps: Record<string, BpfMap> = {};
    const programs: Record<string, Program> = {};
    const owned = new Set<BpfMap>();
    const core: Record<string, CoreReport[]> = {};
    const btf = opts.noBtf ? undefined : loadObjectBtf(spec);
    try {
      const mapSpecs = withConstants(spec, opts.constants ?? {});
      for (const [name, mapSpec] of Object.entries(mapSpecs)) {
        const given = opts.replaceMaps?.[name];
        if (given) {
          maps[name] = given;
          continue;
        }
        const plain = { ...mapSpec, name: mapSpec.name || name };
        const ids = btf?.fd ? mapBtfIds(spec, name, btf.fd.value) : undefined;
        let map: BpfMap;
        try {
          map = BpfMap.create(ids ? { ...plain, ...ids } : plain);
        } catch (err) {
          if (!ids) throw err;
          map = BpfMap.create(plain); // the kernel refused the BTF types for this map: libbpf retries without too
        }
        owned.add(map);
        maps[name] = map;
      }
      const wanted = opts.programs ? new Set(opts.programs) : undefined;
      for (const [name, raw] of Object.entries(spec.programs)) {
        if (wanted && !wanted.has(name)) continue;
        const relocated = applyCoreRelocations(withBtfTarget(raw), spec);
        core[name] = relocated.report;
        const progSpec = relocated.spec;
        if (progSpec.type === ProgType.UNSPEC) {
          throw new NotSupportedError(`program '${name}': section '${raw.sectionName}' names no known program type`, Errno.EINVAL);
        }
        const loadOpts: LoadOptions = {
          maps, ...(opts.logLevel !== undefined ? { logLevel: opts.logLevel } : {}),
          ...(btf?.fd ? { btf: programBtf(progSpec, btf.fd.value) } : {}),
        };
        programs[name] = Program.load(progSpec, loadOpts);
      }
      return new ObjectCollection(spec, maps, programs, owned, btf, core);
    } catch (err) {
      for (const p of Object.values(programs)) p.close();
      for (const m of owned) m.close();
      btf?.fd?.close();
      throw err;
    }
  }

  program(name: string): Program {
    const p = this.programs[name];
    if (!p) throw new RangeError(`object has no program '${name}' (programs: ${Object.keys(this.programs).join(', ') || 'none'})`);
    return p;
  }

  map(name: string): BpfMap {
    const m = this.maps[name];
    if (!m) throw new RangeError(`object has no map '${name}' (maps: ${Object.keys(this.maps).join(', ') || 'none'})`);
    return m;
  }

  /** A global variable by name: read and write it while the programs run (read only for .rodata). */
  variable(name: string): Variable {
    const v = this.spec.variables[name];
    if (!v) throw new RangeError(`object has no global variable '${name}' (variables: ${Object.keys(this.spec.variables).join(', ') || 'none'})`);
    return new Variable(v, () => this.mapped(v.section), this.spec.littleEndian, this.spec.dataSections[v.section]?.readOnly ?? false);
  }

  /** The mmapped bytes of a data section's map (mapped once, read-only for frozen .rodata). */
  private mapped(section: string): Uint8Array {
    let m = this.mappings.get(section);
    if (!m || m.length === 0) {
      const readOnly = this.spec.dataSections[section]?.readOnly ?? false;
      m = this.map(section).mmap({ readOnly });
      this.mappings.set(section, m);
    }
    return m.bytes;
  }

  /** Attaches one program by what its section name says. */
  attach(name: string, ctx: AttachContext = {}): Link {
    return attachBySection(this.program(name), this.spec.programs[name]!, ctx);
  }

  close(): void {
    for (const m of this.mappings.values()) m.close();
    for (const p of Object.values(this.programs)) p.close();
    for (const m of this.owned) m.close();
    this.btf?.fd?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Map specs with the constants written into the data sections' initial contents. */
function withConstants(spec: ObjectSpec, constants: Record<string, VariableValue>): ObjectSpec['maps'] {
  const maps = { ...spec.maps };
  const patched = new Map<string, Uint8Array>();
  for (const [name, value] of Object.entries(constants)) {
    const v = spec.variables[name];
    if (!v) throw new RangeError(`cannot set '${name}': the object has no global variable of that name`);
    if (v.section === '.kconfig') throw new RangeError(`cannot set '${name}': kconfig externs come from the running kernel`);
    let data = patched.get(v.section);
    if (!data) {
      data = spec.dataSections[v.section]!.data.slice();
      patched.set(v.section, data);
    }
    writeValue(data.subarray(v.offset, v.offset + v.size), value, spec.littleEndian, name);
  }
  const kconfig = kconfigData(spec);
  if (kconfig) patched.set('.kconfig', kconfig);
  for (const [section, data] of patched) {
    maps[section] = { ...maps[section]!, contents: [[new Uint8Array(4), data]] };
  }
  return maps;
}

/** tp_btf and iter programs need the kernel BTF id of their target at load time. */
function withBtfTarget(spec: ObjectProgramSpec): ObjectProgramSpec {
  const kind = spec.section?.kind;
  if (!spec.attachTo || spec.attachBtfId) return spec;
  if (kind === 'tp_btf') return { ...spec, ...tpBtfTarget(spec.attachTo) };
  if (kind === 'iter') return { ...spec, ...iterTarget(spec.attachTo) };
  return spec;
}

/** Attaches a loaded program the way its libbpf section name says. */
export function attachBySection(prog: Program, spec: ObjectProgramSpec, ctx: AttachContext = {}): Link {
  const kind = spec.section?.kind;
  const target = spec.attachTo;
  const where = `program '${spec.name}' (section '${spec.sectionName}')`;
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new AttachNotPossibleError(`${where}: attaching needs ${what}`);
    return value;
  };
  switch (kind) {
    case 'tracepoint':
    case 'tp': {
      const slash = need(target, 'a tracepoint name').indexOf('/');
      if (slash < 0) throw new AttachNotPossibleError(`${where}: expected '${kind}/<category>/<name>'`);
      return tracepoint(prog, target!.slice(0, slash), target!.slice(slash + 1));
    }
    case 'raw_tp':
    case 'raw_tracepoint':
    case 'raw_tp.w':
    case 'raw_tracepoint.w':
      return rawTracepoint(prog, need(target, 'a raw tracepoint name'));
    case 'tp_btf':
      return tpBtf(prog, target);
    case 'iter':
      return iter(prog, target !== undefined ? { target } : {});
    case 'uprobe':
    case 'uretprobe': {
      const { binary, symbol, offset } = parseUprobeTarget(need(target, "'binary:function' in the section name"), where);
      return uprobe(prog, {
        binary, ...(symbol ? { symbol } : {}), ...(offset !== undefined ? { offset } : {}),
        ...(ctx.pid !== undefined ? { pid: ctx.pid } : {}), retprobe: kind === 'uretprobe',
      });
    }
    case 'usdt': {
      const parts = need(target, "'binary:provider:name' in the section name").split(':');
      if (parts.length !== 3) throw new AttachNotPossibleError(`${where}: expected 'usdt/<binary>:<provider>:<name>'`);
      return usdt(prog, { binary: parts[0]!, provider: parts[1]!, name: parts[2]!, ...(ctx.pid !== undefined ? { pid: ctx.pid } : {}) });
    }
    case 'xdp':
      return xdp(prog, need(ctx.iface, 'an interface (iface)'), {
        ...(ctx.xdpMode ? { mode: ctx.xdpMode } : {}), ...(ctx.netns ? { netns: ctx.netns } : {}),
      });
    case 'tc/ingress':
    case 'tcx/ingress':
    case 'tc/egress':
    case 'tcx/egress':
      return tcx(prog, need(ctx.iface, 'an interface (iface)'), kind.endsWith('ingress') ? 'ingress' : 'egress',
        ctx.netns ? { netns: ctx.netns } : {});
    case 'socket':
      return socketFilter(prog, need(ctx.socketFd, 'a socket (socketFd)'));
    case 'sk_lookup':
      return skLookup(prog, ctx.netns);
    case 'netfilter':
      return netfilter(prog, need(ctx.netfilter, 'a netfilter hook (netfilter: {pf, hook, priority})'));
    case 'perf_event':
      throw new AttachNotPossibleError(`${where}: perf_event programs need a sampling frequency and event; use perfEvent() directly`);
    case 'kprobe':
    case 'kretprobe':
    case 'ksyscall':
    case 'kretsyscall':
    case 'kprobe.multi':
    case 'kretprobe.multi':
      throw new NotSupportedError(`${where}: this kernel has no kprobes (CONFIG_KPROBES is off); use a tracepoint, raw_tp or tp_btf`, Errno.ENOTSUPP);
    default:
      break;
  }
  if (kind?.startsWith('cgroup') && spec.expectedAttachType !== undefined) {
    return cgroup(prog, need(ctx.cgroup, 'a cgroup directory (cgroup)'), spec.expectedAttachType);
  }
  throw new AttachNotPossibleError(`${where}: don't know how to attach this section automatically`);
}

/** "/usr/bin/x:func+0x10" or "/lib/libc.so.6:0x1234" → binary, symbol, offset. */
export function parseUprobeTarget(target: string, where = 'uprobe'): { binary: string; symbol?: string; offset?: bigint } {
  const colon = target.lastIndexOf(':');
  if (colon <= 0) throw new AttachNotPossibleError(`${where}: expected '<binary>:<function>[+offset]' in the section name`);
  const binary = target.slice(0, colon);
  const rest = target.slice(colon + 1);
  if (/^(0x[0-9a-f]+|\d+)$/i.test(rest)) return { binary, offset: BigInt(rest) };
  const m = /^([A-Za-z_.$][\w.$@]*)(?:\+(0x[0-9a-f]+|\d+))?$/i.exec(rest);
  if (!m) throw new AttachNotPossibleError(`${where}: cannot read function '${rest}'`);
  return { binary, symbol: m[1]!, ...(m[2] ? { offset: BigInt(m[2]) } : {}) };
}

function readInt(b: Uint8Array, le: boolean, name: string): number | bigint {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (b.byteLength) {
    case 1: return view.getUint8(0);
    case 2: return view.getUint16(0, le);
    case 4: return view.getUint32(0, le);
    case 8: return view.getBigUint64(0, le);
    default: throw new TypeError(`variable '${name}' is ${b.byteLength} bytes, not an integer: use bytes()`);
  }
}

function writeValue(b: Uint8Array, value: VariableValue, le: boolean, name: string): void {
  if (value instanceof Uint8Array) {
    if (value.byteLength > b.byteLength) throw new RangeError(`variable '${name}' is ${b.byteLength} bytes; got ${value.byteLength}`);
    b.fill(0);
    b.set(value);
    return;
  }
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = typeof value === 'boolean' ? (value ? 1n : 0n) : BigInt(value);
  switch (b.byteLength) {
    case 1: view.setUint8(0, Number(BigInt.asUintN(8, n))); break;
    case 2: view.setUint16(0, Number(BigInt.asUintN(16, n)), le); break;
    case 4: view.setUint32(0, Number(BigInt.asUintN(32, n)), le); break;
    case 8: view.setBigUint64(0, BigInt.asUintN(64, n), le); break;
    default: throw new TypeError(`variable '${name}' is ${b.byteLength} bytes, not an integer: pass a Uint8Array`);
  }
}
