// What the bpftrace compiler hands the runtime: a CollectionSpec plus everything needed to attach probes,
// decode ring buffer records and print maps the way bpftrace does.
//
// Byte layouts shared by codegen (writer) and runtime (reader), all little-endian:
// - Ring buffer records (map `eventsMap`): u64 format id at offset 0 (an index into `formats`), then the
//   arguments at the offsets their CompiledFormat gives (relative to the record start).
// - Map keys: the bytes of CompiledMap.key (tuple fields at their offsets); a map without keys uses one u64 0 key.
//   hist/lhist maps append a u64 bucket index after the user key (at offset `keySize`).
// - Aggregation values, one per CPU (PERCPU_HASH):
//     count, sum: i64 (count as u64);  min, max: { i64 value; u64 isSet };  avg, stats: { u64 count; i64 total };
//     hist, lhist: u64 count for the (key, bucket) pair.
//   'value' maps are plain HASH maps holding CompiledMap.value.
// - The `constsMap` array (one u64 slot per ConstSlot) is written by the runtime before any probe is attached.
import type { CollectionSpec } from '../spec/collection.js';

/** A value type as the runtime decodes it from bytes. */
export type ValueType =
  | { kind: 'int'; size: 1 | 2 | 4 | 8; signed: boolean }
  | { kind: 'string'; size: number }
  | { kind: 'tuple'; fields: Array<{ type: ValueType; offset: number }>; size: number }
  | { kind: 'pointer'; size: 8 }
  | { kind: 'none'; size: 0 };

export type AttachSpec =
  | { provider: 'BEGIN' | 'END' }
  | { provider: 'tracepoint'; category: string; name: string }
  | { provider: 'profile'; frequencyHz?: number; periodNs?: number }
  | { provider: 'interval'; periodNs: number }
  | { provider: 'software'; event: string; period: number }
  | { provider: 'uprobe' | 'uretprobe'; binary: string; symbol: string; pid?: number }
  | { provider: 'usdt'; binary: string; provider_: string; name: string; pid?: number };

export interface CompiledProbe {
  /** Program name in the collection. */
  program: string;
  attach: AttachSpec;
  /** The probe text as written, e.g. "tracepoint:syscalls:sys_enter_openat" (for `probe`, errors and -v). */
  text: string;
}

/** How an in-kernel map is summarised for printing. */
export type MapKind = 'value' | 'count' | 'sum' | 'min' | 'max' | 'avg' | 'stats' | 'hist' | 'lhist';

export interface CompiledMap {
  /** Name as the script writes it, with the @ (e.g. "@bytes", or "@" for the anonymous map). */
  name: string;
  /** Collection map name. */
  mapName: string;
  kind: MapKind;
  /** Key type ({kind: 'none'} for a map without keys, stored under one u64 0 key). */
  key: ValueType;
  /** Bytes of the user key in the kernel map (8 for a map without keys). */
  keySize: number;
  /** Value type of 'value' maps (ints, strings, tuples). */
  value: ValueType;
  perCpu: boolean;
  /** lhist parameters. */
  lhist?: { min: number; max: number; step: number };
}

/** One printf-like call site: the record id selects it; args are decoded at their offsets. */
export interface CompiledFormat {
  id: number;
  kind: 'printf' | 'print' | 'time' | 'exit' | 'clear' | 'zero' | 'cat' | 'system';
  format: string;
  args: Array<{ type: ValueType; offset: number }>;
  /** For print(@m)/clear/zero: the map's script name. */
  map?: string;
  /** print(@m, top, div). */
  top?: number;
  div?: number;
}

export interface CompiledScript {
  spec: CollectionSpec;
  probes: CompiledProbe[];
  maps: CompiledMap[];
  formats: CompiledFormat[];
  /** Name of the ring buffer map carrying printf/exit/print records. */
  eventsMap: string;
  /** Name of the array map of run-time constants (see ConstSlot), or undefined when no probe uses one. */
  constsMap?: string;
  /** Name of a one-slot array map (u64) counting records the ring buffer had no room for. */
  lostMap: string;
}

/** Slots of the consts map: values only known when the script starts. */
export enum ConstSlot {
  /** ktime_get_ns() when the script started, for `elapsed`. */
  StartNs = 0,
  /**
   * Non-zero once the script is stopping: every attached probe returns at once, so the runtime can let the kernel
   * release slow attachments (perf tracepoints) in the background without the probes doing any more work.
   */
  Stopped = 1,
}

/** Bytes of the consts map's single value: one u64 per ConstSlot. */
export const CONSTS_SIZE = 16;
