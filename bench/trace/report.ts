// The trace benchmark's table (metric, bpfkit, bpftrace, ratio, goal, met?) and its JSON form.
import { writeFileSync } from 'node:fs';

export interface Goal {
  /** bpfkit ÷ bpftrace must be at most (<=) or at least (>=) value. */
  op: '<=' | '>=';
  value: number;
}

export interface Row {
  metric: string;
  unit: string;
  bpfkit: number | undefined;
  bpftrace: number | undefined;
  /** Shown instead of the number (e.g. "> 60000" for a capped wait, or an error). */
  bpfkitNote?: string;
  bpftraceNote?: string;
  goal?: Goal;
  /** Samples behind the figures (medians are shown). */
  samples?: { bpfkit: number[]; bpftrace: number[] };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function ratioOf(row: Row): number | undefined {
  if (row.bpfkit === undefined || row.bpftrace === undefined || row.bpftrace === 0) return undefined;
  return row.bpfkit / row.bpftrace;
}

/** Whether the goal is met; undefined for rows without a goal or figures. A capped bpftrace wait is a lower bound. */
export function metOf(row: Row): boolean | undefined {
  const r = ratioOf(row);
  if (!row.goal || r === undefined) return undefined;
  return row.goal.op === '<=' ? r <= row.goal.value : r >= row.goal.value;
}

function fmt(value: number | undefined, note: string | undefined, unit: string): string {
  if (note) return note;
  if (value === undefined || Number.isNaN(value)) return '-';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  const text = unit === '/s' && value >= 10_000 ? `${(value / 1000).toFixed(1)}k` : value.toFixed(digits);
  return `${text} ${unit}`.trim();
}

export function printTable(rows: readonly Row[]): void {
  const head = ['metric', 'bpfkit', 'bpftrace', 'ratio', 'goal', 'met?'];
  const body = rows.map((row) => {
    const ratio = ratioOf(row);
    const met = metOf(row);
    return [
      row.metric,
      fmt(row.bpfkit, row.bpfkitNote, row.unit),
      fmt(row.bpftrace, row.bpftraceNote, row.unit),
      ratio === undefined ? '-' : `${ratio.toFixed(ratio < 0.1 ? 3 : 2)}x`,
      row.goal ? `${row.goal.op === '<=' ? '<=' : '>='} ${row.goal.value}x` : '',
      met === undefined ? (row.goal ? '?' : '') : met ? 'yes' : 'NO',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
}

export function writeJson(path: string, meta: Record<string, unknown>, rows: readonly Row[], raw: unknown): void {
  const out = {
    ...meta,
    rows: rows.map((row) => ({
      metric: row.metric, unit: row.unit, bpfkit: row.bpfkit ?? null, bpftrace: row.bpftrace ?? null,
      ...(row.bpfkitNote ? { bpfkitNote: row.bpfkitNote } : {}),
      ...(row.bpftraceNote ? { bpftraceNote: row.bpftraceNote } : {}),
      ratio: ratioOf(row) ?? null, goal: row.goal ?? null, met: metOf(row) ?? null,
      ...(row.samples ? { samples: row.samples } : {}),
    })),
    raw,
  };
  writeFileSync(path, `${JSON.stringify(out, null, 2)}\n`);
}
