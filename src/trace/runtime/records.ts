// Ring buffer records → output text or runtime actions. Record layout (compiled.ts): u64 format id, then the
// arguments at the offsets their CompiledFormat gives.
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { CompiledFormat } from '../compiled.js';
import { DEFAULT_TIME_FORMAT, formatPrintf, printfMessage, strftime, timeMessage, valueMessage, type PrintfArg } from '../output/index.js';
import type { OutputFormat, PrintOptions } from '../output/types.js';
import { decodeValue, type ScriptValue } from './decode.js';

/** What a record asks the runtime to do besides printing text. */
export type RecordAction =
  | { kind: 'text'; text: string }
  | { kind: 'exit' }
  | { kind: 'print'; map: string; options: PrintOptions }
  | { kind: 'clear' | 'zero'; map: string }
  | { kind: 'none' };

/** bpftrace's cat() reads at most this many bytes (BPFTRACE_CAT_BYTES_MAX). */
const CAT_BYTES_MAX = 10240;

const NONE: RecordAction = { kind: 'none' };
const EXIT: RecordAction = { kind: 'exit' };

export class RecordDecoder {
  readonly #byId = new Map<number, CompiledFormat>();

  constructor(formats: readonly CompiledFormat[], private readonly format: OutputFormat = 'text') {
    for (const f of formats) this.#byId.set(f.id, f);
  }

  /** Decodes one record (a view valid only during the call). Unknown ids are reported, not fatal. */
  decode(record: Uint8Array): RecordAction {
    if (record.byteLength < 8) return NONE;
    const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
    const id = Number(view.getBigUint64(0, true));
    const f = this.#byId.get(id);
    if (!f) return NONE;
    switch (f.kind) {
      case 'exit':
        return EXIT;
      case 'printf':
        return { kind: 'text', text: printfMessage(formatPrintf(f.format, this.args(f, view)), this.format) };
      case 'time':
        return { kind: 'text', text: timeMessage(strftime(f.format || DEFAULT_TIME_FORMAT, new Date()), this.format) };
      case 'print': {
        if (f.map !== undefined) {
          const { top, div } = f;
          return { kind: 'print', map: f.map, options: { ...(top ? { top } : {}), ...(div ? { div } : {}) } };
        }
        const a = f.args[0];
        return a ? { kind: 'text', text: valueMessage(decodeValue(a.type, view, a.offset), this.format) } : NONE;
      }
      case 'clear':
      case 'zero':
        return f.map !== undefined ? { kind: f.kind, map: f.map } : NONE;
      case 'cat':
        return { kind: 'text', text: printfMessage(readCat(formatPrintf(f.format, this.args(f, view))), this.format) };
      case 'system':
        return { kind: 'text', text: printfMessage(runSystem(formatPrintf(f.format, this.args(f, view))), this.format) };
    }
  }

  private args(f: CompiledFormat, view: DataView): PrintfArg[] {
    return f.args.map((a) => printfArg(decodeValue(a.type, view, a.offset)));
  }
}

function printfArg(v: ScriptValue): PrintfArg {
  return Array.isArray(v) ? v.map(String).join(', ') : v;
}

function readCat(path: string): string {
  try {
    const text = readFileSync(path).subarray(0, CAT_BYTES_MAX).toString('utf8');
    return text;
  } catch (err) {
    return `cat: ${path}: ${(err as Error).message}\n`;
  }
}

/** system(): bpftrace runs the command through the shell (popen) and prints what it writes. */
function runSystem(command: string): string {
  try {
    return execSync(command, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  } catch (err) {
    return String((err as { stdout?: string }).stdout ?? '');
  }
}
