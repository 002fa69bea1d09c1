// Errors of the bpftrace front end, printed exactly as bpftrace 0.17 prints them:
//
//   FILE:LINE:COL-COL: ERROR: message
//   <source line, tabs shown as 4 spaces>
//   <spaces up to the start, ~ under the range>
//
// A range over several lines prints only `FILE:LINE-LINE: ERROR: message`; a diagnostic without a position
// prints `FILE:ERROR: message` (bpftrace keeps the file prefix even then).
import type { Location } from './ast.js';

export type Severity = 'ERROR' | 'WARNING';

export interface Diagnostic {
  severity: Severity;
  message: string;
  /** Omitted when bpftrace reports no position. */
  loc?: Location;
}

/** Thrown by the lexer, parser and semantic passes; carries every diagnostic found (bpftrace reports several). */
export class TraceError extends Error {
  readonly diagnostics: Diagnostic[];
  readonly filename: string;

  constructor(diagnostics: Diagnostic[], filename: string) {
    super(diagnostics.map((d) => d.message).join('; '));
    this.name = 'TraceError';
    this.diagnostics = diagnostics;
    this.filename = filename;
  }

  /** The first diagnostic's position, for callers that want one. */
  get loc(): Location | undefined {
    return this.diagnostics[0]?.loc;
  }
}

/** Syntax errors (lexer and parser). */
export class ParseError extends TraceError {
  constructor(diagnostics: Diagnostic[], filename: string) {
    super(diagnostics, filename);
    this.name = 'ParseError';
  }
}

/** Errors of later passes (types, probes, codegen) that point into the source. */
export class CompileError extends TraceError {
  constructor(diagnostics: Diagnostic[], filename: string) {
    super(diagnostics, filename);
    this.name = 'CompileError';
  }
}

/** Lines of the source split as bpftrace does (on `\n` only). */
function sourceLine(source: string, line: number): string {
  const lines = source.split('\n');
  return lines[line - 1] ?? '';
}

/** One diagnostic in bpftrace's layout; always ends with a newline. */
export function formatOne(d: Diagnostic, source: string, filename: string): string {
  const prefix = filename ? `${filename}:` : '';
  const loc = d.loc;
  if (!loc || loc.line === 0) return `${prefix}${d.severity}: ${d.message}\n`;
  if (loc.line < loc.endLine) return `${prefix}${loc.line}-${loc.endLine}: ${d.severity}: ${d.message}\n`;
  let out = `${prefix}${loc.line}:${loc.column}-${loc.endColumn}: ${d.severity}: ${d.message}\n`;
  // Columns count bytes, like bpftrace; work on the UTF-8 bytes of the line.
  const bytes = Buffer.from(sourceLine(source, loc.line), 'utf8').toString('latin1');
  if (bytes === '') return out;
  out += Buffer.from(bytes.replace(/\t/g, '    '), 'latin1').toString('utf8') + '\n';
  let marker = '';
  for (let x = 0; x < bytes.length && x < loc.endColumn - 1; x++) {
    const ch = x < loc.column - 1 ? ' ' : '~';
    marker += bytes[x] === '\t' ? ch.repeat(4) : ch;
  }
  return out + marker + '\n';
}

/** Every diagnostic of an error, in order, as bpftrace prints them to stderr. */
export function formatDiagnostic(err: TraceError | Diagnostic, source: string, filename?: string): string {
  if (err instanceof TraceError) {
    return err.diagnostics.map((d) => formatOne(d, source, filename ?? err.filename)).join('');
  }
  return formatOne(err, source, filename ?? 'stdin');
}
