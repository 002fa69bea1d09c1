// The tools benchmark's table (metric, bpfkit, libbpf-tools, ratio, goal, met?), in bench/trace's layout, and its
// JSON form.
import { writeFileSync } from 'node:fs';
import type { Goal } from '../trace/report.js';

export { median } from '../trace/report.js';
export type { Goal } from '../trace/report.js';

export interface Row {
  metric: string;
  unit: string;
  bpfkit: number | undefined;
  libbpf: number | undefined;
  /** Shown instead of the number (a skip, a lower bound). */
  bpfkitNote?: string;
  libbpfNote?: string;
  /** bpfkit ÷ libbpf-tools must be at most (<=) or at least (>=) value. */
  goal?: Goal;
  /** Samples behind the figures (medians are shown). */
  samples?: { bpfkit: number[]; libbpf: number[] };
  /**
   * The ratio is only a bound when one figure is a lower bound (that tool's limit was not reached); with both
   * lower bounds it tells nothing certain.
   */
  ratioBound?: 'upper' | 'lower' | 'unknown';
}

export function ratioOf(row: Row): number | undefined {
  if (row.bpfkit === undefined || row.libbpf === undefined || row.libbpf === 0 || Number.isNaN(row.bpfkit) || Number.isNaN(row.libbpf)) return undefined;
  return row.bpfkit / row.libbpf;
}

/** Whether the goal is met; undefined for rows without a goal or figures, or when a bound cannot settle it. */
export function metOf(row: Row): boolean | undefined {
  const r = ratioOf(row);
  if (!row.goal || r === undefined) return undefined;
  const met = row.goal.op === '<=' ? r <= row.goal.value : r >= row.goal.value;
  if (!row.ratioBound) return met;
  if (row.ratioBound === 'unknown') return undefined;
  // The true ratio is at most (upper) or at least (lower) r: only one answer is certain.
  const certain = (row.ratioBound === 'upper') === (row.goal.op === '<=') ? met : !met;
  return certain ? met : undefined;
}

function fmt(value: number | undefined, note: string | undefined, unit: string): string {
  if (note) return note;
  if (value === undefined || Number.isNaN(value)) return '-';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  const text = unit === '/s' && value >= 10_000 ? `${(value / 1000).toFixed(1)}k` : value.toFixed(digits);
  return `${text} ${unit}`.trim();
}

/** Prints a table: the first column left-aligned, the others right-aligned. */
export function printColumns(head: string[], body: string[][], indent = ''): void {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => indent + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  console.log(indent + widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
}

export function printTable(rows: readonly Row[]): void {
  printColumns(['metric', 'bpfkit', 'libbpf-tools', 'ratio', 'goal', 'met?'], rows.map((row) => {
    const ratio = ratioOf(row);
    const met = metOf(row);
    return [
      row.metric,
      fmt(row.bpfkit, row.bpfkitNote, row.unit),
      fmt(row.libbpf, row.libbpfNote, row.unit),
      ratio === undefined ? '-' : `${{ upper: '<= ', lower: '>= ', unknown: '~ ', none: '' }[row.ratioBound ?? 'none']}${ratio.toFixed(ratio < 0.1 ? 3 : 2)}x`,
      row.goal ? `${row.goal.op} ${row.goal.value}x` : '',
      met === undefined ? (row.goal ? '?' : '') : met ? 'yes' : 'NO',
    ];
  }));
}

export function writeJson(path: string, meta: Record<string, unknown>, rows: readonly Row[], raw: unknown): void {
  const out = {
    ...meta,
    rows: rows.map((row) => ({
      metric: row.metric, unit: row.unit, bpfkit: row.bpfkit ?? null, libbpfTools: row.libbpf ?? null,
      ...(row.bpfkitNote ? { bpfkitNote: row.bpfkitNote } : {}),
      ...(row.libbpfNote ? { libbpfToolsNote: row.libbpfNote } : {}),
      ratio: ratioOf(row) ?? null, ...(row.ratioBound ? { ratioBound: row.ratioBound } : {}), goal: row.goal ?? null, met: metOf(row) ?? null,
      ...(row.samples ? { samples: row.samples } : {}),
    })),
    raw,
  };
  writeFileSync(path, `${JSON.stringify(out, null, 2)}\n`);
}
