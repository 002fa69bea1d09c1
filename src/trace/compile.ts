// bpftrace source → CompiledScript: parse, resolve probes against this kernel's tracefs, check types, generate code.
import { readFileSync } from 'node:fs';
import { ensureTracefs } from '../kernel/mounts.js';
import { listTracepoints } from '../kernel/attach/tracepoint.js';
import type { CompiledScript } from './compiled.js';
import { generate } from './codegen/index.js';
import { parse } from './parser.js';
import { analyze, type Resolver } from './semantic.js';
import { parseTracepointFormat, type TracepointFormat } from './tracepoint-format.js';
import type { Program } from './ast.js';

export interface CompileOptions {
  /** Positional parameters $1..$N. */
  positional?: string[];
  /** Where tracepoints come from (default: this kernel's tracefs). */
  resolver?: Resolver;
}

/** Resolves tracepoints from tracefs, caching format files (many probes share categories). */
export function tracefsResolver(): Resolver {
  const formats = new Map<string, TracepointFormat>();
  return {
    tracepoints: (category, name) => {
      if (!/[*?[]/.test(category + name)) return [[category, name]];
      return listTracepoints(`${category}:${name}`).map((t) => [t.category, t.name]);
    },
    format: (category, name) => {
      const key = `${category}:${name}`;
      let f = formats.get(key);
      if (!f) {
        f = parseTracepointFormat(readFileSync(`${ensureTracefs()}/events/${category}/${name}/format`, 'utf8'));
        formats.set(key, f);
      }
      return f;
    },
  };
}

export interface CompileResult {
  ast: Program;
  compiled: CompiledScript;
}

export function compileScript(source: string, filename = 'stdin', options: CompileOptions = {}): CompiledScript {
  return compileWithAst(source, filename, options).compiled;
}

export function compileWithAst(source: string, filename = 'stdin', options: CompileOptions = {}): CompileResult {
  const ast = parse(source, filename);
  const analysis = analyze(ast, options.resolver ?? tracefsResolver(), options.positional ?? [], filename);
  return { ast, compiled: generate(analysis, { source, filename }) };
}
