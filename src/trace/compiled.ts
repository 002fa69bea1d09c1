// What the bpftrace compiler hands the runtime: a CollectionSpec plus everything needed to attach probes,
// decode ring buffer records and print maps the way bpftrace does.
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
  /** Key type, or none for a map without keys. */
  key: ValueType;
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
}

export interface CompiledScript {
  spec: CollectionSpec;
  probes: CompiledProbe[];
  maps: CompiledMap[];
  formats: CompiledFormat[];
  /** Name of the ring buffer map carrying printf/exit/print records. */
  eventsMap: string;
}
