// What the runtime hands the output layer: a map's contents after reading the kernel map and summing the CPUs.
// All values are already decoded (see runtime/decode.ts); nothing here touches the kernel.
import type { ValueType } from '../compiled.js';
import type { ScriptValue } from '../runtime/decode.js';

export type { ScriptValue, ValueType };

/** One key per map entry: one decoded value per key argument (`@m[a, b]` → [a, b]; no key → []). */
export type MapKey = ScriptValue[];

interface MapBase {
  /** Name with the @ as the script writes it ("@bytes", "@" for the anonymous map). */
  name: string;
  /** Types of the key arguments, in order ([] for a map without key). Used to sort keys as bpftrace does. */
  keyTypes: ValueType[];
}

/**
 * count/sum/min/max: one integer per key (already reduced over CPUs: summed, or min/max of the CPUs).
 * `signed` says how bpftrace compares and prints the value: count is unsigned, sum follows its argument
 * (signed by default), min signed, max unsigned.
 */
export interface ScalarAggregateMap extends MapBase {
  kind: 'count' | 'sum' | 'min' | 'max';
  signed?: boolean;
  entries: Array<{ key: MapKey; value: bigint }>;
}

/** Plain assignments: `@x = 5`, `@s[k] = "str"`, `@t = (1, "a")`. */
export interface ValueMap extends MapBase {
  kind: 'value';
  valueType: ValueType;
  entries: Array<{ key: MapKey; value: ScriptValue }>;
}

/** avg() and stats(): the count and the total, summed over CPUs. */
export interface StatsMap extends MapBase {
  kind: 'avg' | 'stats';
  entries: Array<{ key: MapKey; count: bigint; total: bigint }>;
}

/**
 * hist(): buckets indexed as bpftrace stores them: 0 = negative values, 1 = zero, 2 + k = [2^k, 2^(k+1)).
 * bpftrace 0.17 computes at most index 33 (its log2 only looks at 32 bits; see buckets.ts).
 */
export interface HistMap extends MapBase {
  kind: 'hist';
  entries: Array<{ key: MapKey; buckets: bigint[] }>;
}

/**
 * lhist(v, min, max, step): 0 = below min, 1 + (v - min) / step for min <= v < max (capped), and
 * (max - min) / step + 1 = at or above max. Missing trailing buckets count as 0.
 */
export interface LhistMap extends MapBase {
  kind: 'lhist';
  min: number;
  max: number;
  step: number;
  entries: Array<{ key: MapKey; buckets: bigint[] }>;
}

/**
 * A map's decoded contents. For count/sum/min/max/value maps, give entries in the order the kernel map
 * iterates them: bpftrace sorts them with std::sort, whose order for equal values depends on the input order.
 * For the other kinds the order given does not matter (bpftrace reorders them by key bytes first).
 */
export type MapContents = ScalarAggregateMap | ValueMap | StatsMap | HistMap | LhistMap;

/** print(@m, top, div): top = keep only the last `top` entries after sorting (0 = all); div divides values. */
export interface PrintOptions {
  top?: number;
  div?: number;
}

export type OutputFormat = 'text' | 'json';
