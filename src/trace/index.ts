// Front end of the bpftrace compiler: source text → AST, and bpftrace-style diagnostics.
export { parse, type ParseOptions } from './parser.js';
export { lex, type Token, type TokenKind } from './lexer.js';
export { parseAttachPoint } from './attach-point.js';
export { printAst } from './ast-print.js';
export { TraceError, ParseError, CompileError, formatDiagnostic, formatOne, type Diagnostic } from './diagnostics.js';
export type * from './ast.js';
