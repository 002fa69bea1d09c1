// Analysis → CompiledScript: one program per concrete probe, the script's maps, and the service maps
// (events ring buffer, per-CPU scratch buffer, run-time constants, lost-event counter).
import type { CollectionSpec, MapSpec, ProgramSpec } from '../../spec/collection.js';
import { MapFlags, MapType, ProgType } from '../../sys/constants.js';
import { CONSTS_SIZE, type AttachSpec, type CompiledFormat, type CompiledMap, type CompiledProbe, type CompiledScript, type ValueType } from '../compiled.js';
import type { Analysis, MapDecl } from '../semantic.js';
import { storageSize, valueTypeOf } from '../types.js';
import { ProbeCodegen, type ScriptContext } from './probe.js';

/** Bytes of the events ring buffer (a power of two, page multiple). */
export const EVENTS_RING_BYTES = 1 << 20;
/** Entries per script map, as bpftrace's default (BPFTRACE_MAP_KEYS_MAX). */
export const MAP_KEYS_MAX = 4096;

export function programTypeFor(attach: AttachSpec): ProgType {
  switch (attach.provider) {
    case 'BEGIN':
    case 'END':
      return ProgType.RAW_TRACEPOINT;
    case 'tracepoint':
      return ProgType.TRACEPOINT;
    case 'profile':
    case 'interval':
    case 'software':
      return ProgType.PERF_EVENT;
    default:
      return ProgType.KPROBE;
  }
}

function keyType(decl: MapDecl): ValueType {
  if (decl.keys.length === 0) return { kind: 'none', size: 0 };
  if (decl.keys.length === 1) return valueTypeOf(decl.keys[0]!);
  return valueTypeOf({ k: 'tuple', elems: decl.keys });
}

function valueSize(decl: MapDecl): number {
  switch (decl.kind) {
    case 'value':
      return storageSize(decl.value);
    case 'min':
    case 'max':
    case 'avg':
    case 'stats':
      return 16;
    default:
      return 8;
  }
}

export function generate(analysis: Analysis, origin: { source?: string; filename?: string } = {}): CompiledScript {
  const formats: CompiledFormat[] = [];
  const mapNames = new Map<string, string>();
  [...analysis.maps.keys()].sort().forEach((name, i) => {
    mapNames.set(name, `AT_${i}_${name.slice(1).replace(/[^A-Za-z0-9_]/g, '_')}`.slice(0, 15));
  });
  const ctx: ScriptContext = {
    mapName: (n) => mapNames.get(n)!,
    decl: (n) => analysis.maps.get(n)!,
    addFormat: (f) => {
      formats.push({ ...f, id: formats.length });
      return formats.length - 1;
    },
    eventsMap: 'events', scratchMap: 'scratch', constsMap: 'consts', lostMap: 'lost',
    positional: analysis.positional, usesConsts: false, ...origin,
  };

  const programs: Record<string, ProgramSpec> = {};
  const probes: CompiledProbe[] = [];
  let scratchSize = 8;
  analysis.probes.forEach((p, i) => {
    const gen = new ProbeCodegen(p, ctx);
    const instructions = gen.generate();
    scratchSize = Math.max(scratchSize, gen.scratchSize);
    const name = `p${i}_${p.name.replace(/[^A-Za-z0-9_]/g, '_')}`.slice(0, 15);
    programs[name] = { name, type: programTypeFor(p.attach), instructions, license: 'GPL', sectionName: p.name };
    probes.push({ program: name, attach: p.attach, text: p.name });
  });

  const maps: Record<string, MapSpec> = {
    events: { name: 'events', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: EVENTS_RING_BYTES },
    scratch: { name: 'scratch', type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: Math.ceil(scratchSize / 8) * 8, maxEntries: 1 },
    consts: { name: 'consts', type: MapType.ARRAY, keySize: 4, valueSize: CONSTS_SIZE, maxEntries: 1, flags: MapFlags.MMAPABLE },
    lost: { name: 'lost', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 },
  };
  const compiledMaps: CompiledMap[] = [];
  for (const [name, decl] of analysis.maps) {
    const mapName = mapNames.get(name)!;
    const perCpu = decl.kind !== 'value';
    const keySize = decl.keys.length === 0 ? 8 : decl.keys.reduce((n, t) => n + storageSize(t), 0);
    const bucket = decl.kind === 'hist' || decl.kind === 'lhist' ? 8 : 0;
    maps[mapName] = {
      name: mapName, type: perCpu ? MapType.PERCPU_HASH : MapType.HASH, keySize: keySize + bucket,
      valueSize: Math.max(valueSize(decl), 8), maxEntries: MAP_KEYS_MAX,
    };
    const cm: CompiledMap = {
      name, mapName, kind: decl.kind, key: keyType(decl), keySize, value: valueTypeOf(decl.value), perCpu,
    };
    if (decl.lhist) cm.lhist = decl.lhist;
    compiledMaps.push(cm);
  }
  const spec: CollectionSpec = { maps, programs };
  return { spec, probes, maps: compiledMaps, formats, eventsMap: 'events', constsMap: 'consts', lostMap: 'lost' };
}
