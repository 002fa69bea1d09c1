// Printing a whole map (at exit, print(@m[, top[, div]]) and interval) exactly as bpftrace 0.17 does, in text
// and in `-f json` form. Sorting follows bpftrace: count/sum/min/max and integer-valued maps by value
// (std::sort, so ties keep libstdc++'s order), other value maps by key (stable, ints compared unsigned, strings
// bytewise), hist/lhist by the sum of their buckets and avg/stats by their average, both after ordering the keys
// by their bytes.
import { cxxSort } from './cxx-sort.js';
import { histJson, histText, lhistJson, lhistText } from './histogram.js';
import type { HistMap, LhistMap, MapContents, MapKey, OutputFormat, PrintOptions, ScalarAggregateMap, ScriptValue,
  StatsMap, ValueMap, ValueType } from './types.js';
import { compareBytes, jsonEscape, keyBytes, keyJson, keyText, typed, valueJson, valueText } from './values.js';

/** Formats one map in the given output format ("" in JSON for an empty map, "\n" or "\n\n" in text). */
export function formatMap(map: MapContents, format: OutputFormat = 'text', options: PrintOptions = {}): string {
  return format === 'json' ? formatMapJson(map, options) : formatMapText(map, options);
}

/** Text output of print(@m) or of the map at exit. */
export function formatMapText(map: MapContents, options: PrintOptions = {}): string {
  const rows = renderRows(map, options, 'text');
  const heading = (key: MapKey) => map.name + keyText(key, map.keyTypes) + ': ';
  switch (map.kind) {
    case 'hist':
    case 'lhist':
      return rows.map((r) => heading(r.key) + '\n' + r.value).join('\n') + '\n';
    case 'avg':
    case 'stats':
      return rows.map((r) => heading(r.key) + r.value).join('\n') + '\n\n';
    default:
      return rows.map((r) => heading(r.key) + r.value).join('\n') + '\n';
  }
}

/** One `-f json` line for the map, or "" when the map is empty. */
export function formatMapJson(map: MapContents, options: PrintOptions = {}): string {
  if (map.entries.length === 0) return '';
  const rows = renderRows(map, options, 'json');
  const type = map.kind === 'hist' || map.kind === 'lhist' ? 'hist' : map.kind === 'avg' || map.kind === 'stats'
    ? 'stats' : 'map';
  const keyed = map.keyTypes.length > 0;
  const body = rows.map((r) => {
    const k = keyJson(r.key, map.keyTypes);
    return k === '' ? r.value : k + ': ' + r.value;
  }).join(', ');
  return `{"type": "${type}", "data": {"${jsonEscape(map.name)}": ${keyed ? '{' : ''}${body}${keyed ? '}' : ''}}}\n`;
}

interface Row {
  key: MapKey;
  value: string;
}

function renderRows(map: MapContents, options: PrintOptions, format: OutputFormat): Row[] {
  const div = BigInt(options.div && options.div > 0 ? options.div : 1);
  const top = options.top ?? 0;
  switch (map.kind) {
    case 'hist':
    case 'lhist':
      return keepTop(sortHistograms(map), top).map((e) => ({ key: e.key, value: histogramValue(map, e.buckets, div, format) }));
    case 'avg':
    case 'stats': {
      const sorted = sortStats(map);
      // bpftrace applies top to avg() maps only; stats() ignores both top and div.
      const kept = map.kind === 'avg' ? keepTop(sorted, top) : sorted;
      return kept.map((e) => ({ key: e.key, value: statsValue(map.kind, e.count, e.total, div, format) }));
    }
    case 'value':
      return keepTop(sortValues(map), top).map((e) => ({ key: e.key, value: plainValue(map.valueType, e.value, div, format) }));
    default:
      return keepTop(sortScalars(map), top).map((e) => ({ key: e.key, value: scalarValue(map, e.value, div).toString() }));
  }
}

function keepTop<T>(entries: T[], top: number): T[] {
  return top > 0 && entries.length > top ? entries.slice(entries.length - top) : entries;
}

// ---- values

function isSigned(map: ScalarAggregateMap): boolean {
  return map.signed ?? (map.kind === 'sum' || map.kind === 'min');
}

function scalarValue(map: ScalarAggregateMap, value: bigint, div: bigint): bigint {
  const v = isSigned(map) ? BigInt.asIntN(64, value) : BigInt.asUintN(64, value);
  return v / div;
}

function plainValue(type: ValueType, value: ScriptValue, div: bigint, format: OutputFormat): string {
  const v = typed(value, type);
  if (typeof v === 'bigint') return (v / div).toString();
  return format === 'json' ? valueJson(v) : valueText(v);
}

function statsValue(kind: 'avg' | 'stats', count: bigint, total: bigint, div: bigint, format: OutputFormat): string {
  const c = BigInt.asIntN(64, count);
  const t = BigInt.asIntN(64, total);
  const average = c !== 0n ? t / c : 0n;
  if (kind === 'avg') return (average / div).toString();
  return format === 'json' ? `{"count": ${c}, "average": ${average}, "total": ${t}}`
    : `count ${c}, average ${average}, total ${t}`;
}

function histogramValue(map: HistMap | LhistMap, buckets: bigint[], div: bigint, format: OutputFormat): string {
  const d = Number(div);
  if (map.kind === 'hist') return format === 'json' ? histJson(buckets, d) : histText(buckets, d);
  return format === 'json' ? lhistJson(buckets, map.min, map.max, map.step) : lhistText(buckets, map.min, map.max, map.step);
}

// ---- sorting

function sortScalars(map: ScalarAggregateMap): ScalarAggregateMap['entries'] {
  const signed = isSigned(map);
  const num = (v: bigint) => (signed ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v));
  return cxxSort([...map.entries], (a, b) => num(a.value) < num(b.value));
}

function sortValues(map: ValueMap): ValueMap['entries'] {
  const t = map.valueType;
  if (t.kind === 'int') {
    const num = (v: ScriptValue) => (typeof v === 'bigint' ? (t.signed ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v)) : 0n);
    return cxxSort([...map.entries], (a, b) => num(a.value) < num(b.value));
  }
  return sortByKey([...map.entries], map.keyTypes);
}

/** bpftrace's sort_by_key: stable sorts from the last key argument to the first; ints unsigned, strings bytewise. */
function sortByKey<T extends { key: MapKey }>(entries: T[], keyTypes: readonly ValueType[]): T[] {
  for (let i = keyTypes.length - 1; i >= 0; i--) {
    const type = keyTypes[i]!;
    if (type.kind === 'int') {
      const num = (e: T) => BigInt.asUintN(type.size * 8, typeof e.key[i] === 'bigint' ? (e.key[i] as bigint) : 0n);
      entries.sort((a, b) => (num(a) < num(b) ? -1 : num(a) > num(b) ? 1 : 0));
    } else if (type.kind === 'string') {
      const bytes = (e: T) => cStringBytes(e.key[i]);
      entries.sort((a, b) => compareBytes(bytes(a), bytes(b)));
    }
    // Other key types are not sorted, as in bpftrace.
  }
  return entries;
}

function cStringBytes(v: ScriptValue | undefined): Uint8Array {
  const bytes = new TextEncoder().encode(typeof v === 'string' ? v : '');
  const nul = bytes.indexOf(0);
  return nul < 0 ? bytes : bytes.subarray(0, nul);
}

/** std::map<key bytes, …> iteration order: what bpftrace's hist/stats sorting starts from. */
function byKeyBytes<T extends { key: MapKey }>(entries: readonly T[], keyTypes: readonly ValueType[]): T[] {
  const withBytes = entries.map((e) => ({ e, b: keyBytes(e.key, keyTypes) }));
  withBytes.sort((x, y) => compareBytes(x.b, y.b));
  return withBytes.map((x) => x.e);
}

function sortHistograms<T extends { key: MapKey; buckets: bigint[] }>(map: { entries: T[]; keyTypes: ValueType[] }): T[] {
  const total = (e: T) => BigInt.asUintN(64, e.buckets.reduce((s, b) => s + b, 0n));
  const entries = byKeyBytes(map.entries, map.keyTypes).map((e) => ({ e, t: total(e) }));
  return cxxSort(entries, (a, b) => a.t < b.t).map((x) => x.e);
}

function sortStats(map: StatsMap): StatsMap['entries'] {
  const avg = (e: StatsMap['entries'][number]) => {
    const c = BigInt.asIntN(64, e.count);
    return c !== 0n ? BigInt.asIntN(64, e.total) / c : 0n;
  };
  const entries = byKeyBytes(map.entries, map.keyTypes).map((e) => ({ e, a: avg(e) }));
  return cxxSort(entries, (x, y) => x.a < y.a).map((x) => x.e);
}
