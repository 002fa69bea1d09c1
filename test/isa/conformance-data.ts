// Reads the bpf_conformance suite's .data files: sections `-- asm`, `-- raw`, `-- mem`, `-- result`, `-- error`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CONFORMANCE_DIR = '/work/shared/data/bpf_conformance';

export interface ConformanceFile {
  name: string;
  /** Assembler text of the `-- asm` section, and the file line it starts on. */
  asm?: { text: string; firstLine: number };
  /** `-- raw` bytes (64-bit words or single bytes, as the file writes them). */
  raw?: Uint8Array;
  mem: Uint8Array;
  result?: bigint;
  error?: string;
}

const known = new Set(['asm', 'raw', 'mem', 'result', 'error', 'c', 'no register offset']);

/** Parses one .data file; throws for files without a program or with unknown sections. */
export function parseConformance(name: string, text: string): ConformanceFile {
  const out: ConformanceFile = { name, mem: new Uint8Array(0) };
  const sections = new Map<string, { lines: string[]; firstLine: number }>();
  let current: { lines: string[]; firstLine: number } | undefined;
  text.split('\n').forEach((line, n) => {
    const header = /^-- (.*?)\s*$/.exec(line);
    if (header) {
      if (!known.has(header[1]!)) throw new Error(`${name}:${n + 1}: unknown section '-- ${header[1]}'`);
      current = { lines: [], firstLine: n + 2 };
      sections.set(header[1]!, current);
    } else if (current) {
      current.lines.push(line);
    }
  });
  const body = (s: string) => sections.get(s)?.lines.map((l) => l.replace(/#.*/, '').trim()).filter((l) => l !== '');
  const asm = sections.get('asm');
  if (asm) out.asm = { text: asm.lines.join('\n'), firstLine: asm.firstLine };
  const raw = body('raw');
  if (raw) {
    const bytes: number[] = [];
    for (const l of raw) {
      for (const word of l.split(/\s+/)) {
        if (/^0x[0-9a-f]{16}$/i.test(word)) {
          let v = BigInt(word);
          for (let k = 0; k < 8; k++) { bytes.push(Number(v & 0xffn)); v >>= 8n; }
        } else if (/^[0-9a-f]{2}$/i.test(word)) {
          bytes.push(parseInt(word, 16));
        } else {
          throw new Error(`${name}: bad raw word '${word}'`);
        }
      }
    }
    out.raw = new Uint8Array(bytes);
  }
  const mem = body('mem');
  if (mem) out.mem = new Uint8Array(mem.join(' ').split(/\s+/).map((b) => parseInt(b, 16)));
  const result = body('result');
  if (result && result.length > 0) out.result = BigInt.asUintN(64, BigInt(result.at(-1)!));
  const error = sections.get('error');
  if (error) out.error = error.lines.join('\n').trim();
  if (!out.asm && !out.raw) throw new Error(`${name}: no -- asm or -- raw section`);
  if (out.asm && !out.asm.text.split('\n').some((l) => l.replace(/#.*/, '').trim() !== '')) throw new Error(`${name}: empty -- asm section`);
  return out;
}

export function conformanceFiles(folder: 'tests' | 'negative'): { name: string; text: string }[] {
  const dir = join(CONFORMANCE_DIR, folder);
  return readdirSync(dir).filter((f) => f.endsWith('.data')).sort().map((f) => ({ name: f, text: readFileSync(join(dir, f), 'utf8') }));
}
