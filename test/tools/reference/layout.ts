// Text-layout comparisons for side-by-side runs: rows split into columns with their start positions, timing fields
// masked; log2 histograms reduced to their shape (slot labels, count width, bar width, `|` positions).

export interface Token {
  readonly start: number;
  readonly text: string;
}

/** Whitespace-separated tokens of a line with the column where each starts. */
export function tokens(line: string): Token[] {
  return [...line.matchAll(/\S+/g)].map((m) => ({ start: m.index, text: m[0] }));
}

export interface MaskedRow {
  readonly line: string;
  /** The deterministic columns, timing fields replaced by `<t>`: equal in both outputs for the same event. */
  readonly key: string;
  /** Where each column starts (timing columns included: their width is fixed, only the digits differ). */
  readonly starts: number[];
}

/** `timing` lists the token indexes of timing fields (negative: counted from the end). */
export function maskRow(line: string, timing: number[]): MaskedRow {
  const toks = tokens(line);
  const masked = new Set(timing.map((i) => (i < 0 ? toks.length + i : i)));
  return {
    line,
    key: toks.map((t, i) => (masked.has(i) ? '<t>' : t.text)).join(' '),
    starts: toks.map((t) => t.start),
  };
}

/** The first line of an output (the header), without its newline. */
export function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

// ---- log2 histograms (libbpf-tools print_log2_hist) ----

/** One histogram row: `<low> -> <high>` label, `: ` count padded, `|` 40-character bar `|`. */
const HIST_ROW = /^(\s*\d+ -> \d+\s*): (\d+\s*)\|([* ]*)\|$/;
const HIST_HEADER = /^\s+\S+\s+: count\s+distribution$/;

export interface HistRow {
  /** `         0 -> 1          ` — identical for the same slot in both outputs. */
  readonly label: string;
  /** Width of the count field with its padding (`%-8d` + space). */
  readonly countWidth: number;
  readonly barWidth: number;
  /** Column of the opening and closing `|`. */
  readonly pipes: [number, number];
}

export function histRow(line: string): HistRow | undefined {
  const m = HIST_ROW.exec(line);
  if (!m) return undefined;
  const open = line.indexOf('|');
  return { label: m[1]!, countWidth: m[2]!.length, barWidth: m[3]!.length, pipes: [open, line.length - 1] };
}

export const isHistHeader = (line: string) => HIST_HEADER.test(line);

/** Section titles of per-process/disk/flags histograms, with the varying part masked. */
const SECTION_TITLES: Array<[RegExp, string]> = [
  [/^(pid|tid|pidns) = \d+ .*$/, '$1 = <n> <comm>'],
  [/^disk = \S+/, 'disk = <disk>'],
  [/^flags = .*$/, 'flags = <flags>'],
  [/^Process Name = .*$/, 'Process Name = <comm>'],
];
const isMaskedTitle = (line: string) => /^((pid|tid|pidns) = <n> <comm>|disk = <disk>|flags = <flags>|Process Name = <comm>)/.test(line);

/**
 * The output with every histogram row replaced by `<row>` (consecutive rows collapsed), clock times and section
 * titles masked: what must be identical between the two tools whatever was measured.
 */
export function histogramSkeleton(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    let shape = histRow(line) ? '<row>' : line.replace(/\b\d\d:\d\d:\d\d\b/g, 'HH:MM:SS');
    for (const [re, mask] of SECTION_TITLES) shape = shape.replace(re, mask);
    if (shape === '<row>' && out[out.length - 1] === '<row>') continue;
    out.push(shape);
  }
  return out;
}

/**
 * A histogram output as its intro (the lines before the first section title), the distinct shapes of its sections
 * (a title up to the next title, trailing blank lines cut) and the blank lines seen between two sections:
 * per-process outputs list different processes in each run, but every section must be laid out the same way.
 */
export function histogramShape(text: string): { intro: string[]; sections: string[]; gaps: number[] } {
  const skeleton = histogramSkeleton(text);
  const at = skeleton.findIndex(isMaskedTitle);
  if (at < 0) return { intro: skeleton, sections: [], gaps: [] };
  const groups: string[][] = [];
  for (const line of skeleton.slice(at)) {
    if (isMaskedTitle(line)) groups.push([]);
    groups[groups.length - 1]!.push(line);
  }
  const sections = new Set<string>();
  const gaps = new Set<number>();
  for (const [i, group] of groups.entries()) {
    let blanks = 0;
    while (group.length > 0 && group[group.length - 1] === '') {
      group.pop();
      blanks++;
    }
    sections.add(group.join('\n'));
    if (i < groups.length - 1) gaps.add(blanks);
  }
  return { intro: skeleton.slice(0, at), sections: [...sections].sort(), gaps: [...gaps].sort() };
}

/** All histogram rows of a text, in order. */
export function histRows(text: string): HistRow[] {
  return text.split('\n').flatMap((l) => histRow(l) ?? []);
}

/** The lines of a `Process Name = <comm>` section of bitesize (up to the next blank line). */
export function bitesizeSection(text: string, comm: string): string {
  const lines = text.split('\n');
  const at = lines.indexOf(`Process Name = ${comm}`);
  if (at < 0) return '';
  const end = lines.indexOf('', at);
  return lines.slice(at, end < 0 ? undefined : end).join('\n');
}

// ---- tables aligned under their header (syscount) ----

export interface Column {
  readonly name: string;
  readonly align: 'left' | 'right';
}

/**
 * Checks that a row's values line up under `header`: left-aligned columns start where their title starts,
 * right-aligned ones end where their title ends. Returns a description of the first misplaced column, if any.
 */
export function misalignment(header: string, columns: Column[], row: string): string | undefined {
  for (const col of columns) {
    const at = header.indexOf(col.name);
    if (at < 0) return `header has no ${col.name}`;
    if (col.align === 'left') {
      const ok = row[at] !== undefined && row[at] !== ' ' && (at === 0 || row[at - 1] === ' ');
      if (!ok) return `${col.name} value does not start at column ${at}: ${JSON.stringify(row)}`;
    } else {
      const end = at + col.name.length;
      const ok = /\d/.test(row[end - 1] ?? '') && (end === row.length || row[end] === ' ');
      if (!ok) return `${col.name} value does not end at column ${end}: ${JSON.stringify(row)}`;
    }
  }
  return undefined;
}
