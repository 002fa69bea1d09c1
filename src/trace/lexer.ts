// Lexer for the bpftrace 0.17 language. Hand-written, but it follows the same longest-match rules as bpftrace's
// flex scanner so tokens split the same way (`5ms` is an integer then an identifier, `:syscalls:` is one path
// token, `/` before `{` or `/` ends a predicate). It also reproduces bpftrace's error locations: a location starts
// where the last whitespace ended, so `printf("x)` errors are reported from `p`.
//
// The lexer works on the UTF-8 bytes of the source (held as a latin1 string) so columns and offsets are bytes, as
// in bpftrace.
import type { Range } from './ast.js';
import type { Diagnostic } from './diagnostics.js';

/** Token kinds are bison's display names, so syntax errors can print them directly. */
export type TokenKind =
  | 'end of file' | ':' | ';' | '{' | '}' | '[' | ']' | '(' | ')' | '?' | 'end predicate' | ',' | '$#' | '='
  | '==' | '!=' | '<=' | '>=' | '<<' | '>>' | '<' | '>' | '&&' | '||' | '+' | '++' | '<<=' | '>>=' | '+='
  | '-=' | '*=' | '/=' | '%=' | '&=' | '|=' | '^=' | '-' | '--' | '*' | '/' | '%' | '&' | '|' | '^' | '!'
  | '~' | '.' | '->' | 'if' | 'else' | 'unroll' | 'while' | 'for' | 'return' | 'continue' | 'break'
  | 'builtin' | 'call' | 'call_builtin' | 'identifier' | 'path' | 'preprocessor directive' | 'struct definition'
  | 'string' | 'map' | 'variable' | 'positional parameter' | 'integer' | 'stack_mode';

export interface Token {
  kind: TokenKind;
  /** Source text of the token (for strings: the decoded value; for integers: as written). */
  text: string;
  /** Integer value for `integer`. */
  value?: bigint;
  /** Exact span of the token. */
  range: Range;
  /** bpftrace's location for the token (starts after the last whitespace). */
  loc: Range;
}

// Names bpftrace 0.17's scanner turns into special tokens (checked against bpftrace 0.17's -d output).
const BUILTINS = new Set([
  'args', 'cgroup', 'comm', 'cpid', 'cpu', 'ctx', 'curtask', 'elapsed', 'func', 'gid', 'nsecs', 'numaid', 'pid',
  'probe', 'rand', 'retval', 'tid', 'uid', 'username',
]);
const CALLS = new Set([
  'avg', 'bswap', 'buf', 'cat', 'cgroup_path', 'cgroupid', 'clear', 'count', 'debugf', 'delete', 'exit', 'hist',
  'join', 'kaddr', 'kptr', 'ksym', 'lhist', 'macaddr', 'max', 'min', 'ntop', 'override', 'path', 'print',
  'printf', 'pton', 'reg', 'signal', 'sizeof', 'skboutput', 'stats', 'str', 'strcontains', 'strerror',
  'strftime', 'strncmp', 'sum', 'system', 'time', 'uaddr', 'unwatch', 'uptr', 'usym', 'zero',
]);
const CALL_BUILTINS = new Set(['kstack', 'ustack']);
const STACK_MODES = new Set(['bpftrace', 'perf']);
const KEYWORDS = new Set(['if', 'else', 'unroll', 'while', 'for', 'return', 'continue', 'break']);

// Operators, longest first so the first match is the longest.
const OPERATORS: TokenKind[] = [
  '<<=', '>>=', '==', '!=', '<=', '>=', '<<', '>>', '&&', '||', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=',
  '|=', '^=', '->', ':', ';', '{', '}', '[', ']', '(', ')', '?', ',', '=', '<', '>', '+', '-', '*', '/', '%',
  '&', '|', '^', '!', '~', '.',
];

const isIdentStart = (c: string): boolean => /[_a-zA-Z]/.test(c);
const isIdentChar = (c: string): boolean => /[_a-zA-Z0-9]/.test(c);
const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isPathChar = (c: string): boolean => /[_\-./a-zA-Z0-9#*]/.test(c);

interface Pos { line: number; column: number; offset: number }

export interface LexResult {
  tokens: Token[];
  diagnostics: Diagnostic[];
}

/** Splits `source` (a latin1 string of UTF-8 bytes) into tokens; problems become diagnostics, never exceptions. */
export function lexBytes(src: string): LexResult {
  const tokens: Token[] = [];
  const diagnostics: Diagnostic[] = [];
  let i = 0;
  // bison-style location: `begin` moves only on whitespace (step), `end` advances with every lexeme.
  let begin: Pos = { line: 1, column: 1, offset: 0 };
  let end: Pos = { line: 1, column: 1, offset: 0 };
  // Exact start of the current token.
  let tokStart: Pos = { ...end };

  const columns = (n: number): void => { end = { line: end.line, column: end.column + n, offset: end.offset + n }; };
  const lines = (n: number, bytes: number): void => { end = { line: end.line + n, column: 1, offset: end.offset + bytes }; };
  const step = (): void => { begin = { ...end }; };
  const span = (a: Pos, b: Pos): Range => ({
    line: a.line, column: a.column, endLine: b.line, endColumn: b.column, start: a.offset, end: b.offset,
  });
  const loc = (): Range => span(begin, end);
  const error = (message: string): void => { diagnostics.push({ severity: 'ERROR', message, loc: loc() }); };
  const push = (kind: TokenKind, text: string, value?: bigint): void => {
    const t: Token = { kind, text, range: span(tokStart, end), loc: loc() };
    if (value !== undefined) t.value = value;
    tokens.push(t);
  };
  const at = (k: number): string => src[k] ?? '';

  while (i < src.length) {
    tokStart = { ...end };
    const c = src[i]!;
    // Whitespace moves the location start.
    if (c === ' ' || c === '\t') {
      let j = i;
      while (at(j) === ' ' || at(j) === '\t') j++;
      columns(j - i); step(); i = j; continue;
    }
    if (c === '\n' || c === '\r') {
      let j = i;
      while (at(j) === '\n' || at(j) === '\r') j++;
      lines(j - i, j - i); step(); i = j; continue;
    }
    // `#!` on the first column is an executable line; other `#...` lines are C preprocessor directives.
    if (c === '#') {
      let j = i;
      while (j < src.length && at(j) !== '\n') j++;
      const atLineStart = i === 0 || at(i - 1) === '\n';
      if (at(i + 1) === '!' && atLineStart) { columns(j - i); i = j; continue; }
      if (at(i + 1) !== '!' && i + 1 < src.length) {
        // `#[^!].*`: the character after `#` may be a newline, then `.*` stops at the next one.
        let k = i + 2;
        if (at(i + 1) === '\n') { /* flex would count a line, keep it simple: one column per byte */ }
        while (k < src.length && at(k) !== '\n') k++;
        if (at(i + 1) === '\n') k = i + 2;
        const text = src.slice(i, k);
        columns(k - i); push('preprocessor directive', text); i = k; continue;
      }
      columns(1); error(`invalid character '${c}'`); i++; continue;
    }
    // Comments. `//` competes with an end predicate `/ /`, `/*` starts a block comment.
    if (c === '/' && at(i + 1) === '/') {
      let j = i;
      while (j < src.length && at(j) !== '\n') j++;
      // Trailing-context length counts in flex's longest match: `/` + spaces + `/` or `{`.
      const pred = endPredicateLength(src, i);
      if (pred <= j - i) { columns(j - i); i = j; continue; }
    }
    if (c === '/' && at(i + 1) === '*') {
      columns(2); i += 2;
      let closed = false;
      while (i < src.length) {
        if (at(i) === '*' && at(i + 1) === '/') { columns(2); i += 2; closed = true; break; }
        if (at(i) === '\n') { lines(1, 1); step(); i++; continue; }
        columns(1); i++;
      }
      if (!closed) error('end of file during comment');
      continue;
    }
    if (c === '/' && endPredicateLength(src, i) > 0) {
      columns(1); push('end predicate', '/'); i++; continue;
    }
    // Strings.
    if (c === '"') {
      i = lexString(i);
      continue;
    }
    // Numbers: [0-9]([0-9_]*[0-9])?, 0x..., and {int}[eE]{int}.
    if (isDigit(c)) {
      let j = i;
      let value: bigint;
      if (c === '0' && (at(i + 1) === 'x' || at(i + 1) === 'X') && /[0-9a-fA-F]/.test(at(i + 2))) {
        j = i + 2;
        while (/[0-9a-fA-F]/.test(at(j))) j++;
        value = BigInt('0x' + src.slice(i + 2, j));
      } else {
        j = decimalEnd(i);
        let mantissa = src.slice(i, j);
        let exponent: string | undefined;
        if ((at(j) === 'e' || at(j) === 'E') && isDigit(at(j + 1))) {
          const k = decimalEnd(j + 1);
          exponent = src.slice(j + 1, k).replace(/_/g, '');
          j = k;
        }
        mantissa = mantissa.replace(/_/g, '');
        // strtoul with base 0: a leading 0 means octal (digits 8/9 stop the conversion).
        value = /^0[0-7]+/.test(mantissa) ? BigInt('0o' + /^0([0-7]+)/.exec(mantissa)![1]) : BigInt(mantissa);
        if (exponent !== undefined) value = value * 10n ** BigInt(exponent);
      }
      const text = src.slice(i, j);
      columns(j - i); i = j;
      if (value > 0xffffffffffffffffn) { error(`Number "${text}" is out of range`); continue; }
      push('integer', text, value);
      continue;
    }
    // Paths `:x/y.z` used by attach points: a colon followed by path characters or `\\` escapes. This also
    // catches `? a :b` in ternaries, exactly as bpftrace 0.17 does (it reports "unexpected path").
    if (c === ':') {
      let j = i + 1;
      for (;;) {
        if (isPathChar(at(j))) j++;
        else if (at(j) === '\\' && j + 1 < src.length && at(j + 1) !== '\n') j += 2;
        else break;
      }
      if (j > i + 1) {
        columns(j - i); push('path', src.slice(i, j)); i = j; continue;
      }
    }
    // Maps, variables, positional parameters.
    if (c === '@') {
      let j = i + 1;
      if (isIdentStart(at(j))) { while (isIdentChar(at(j))) j++; }
      columns(j - i); push('map', src.slice(i, j)); i = j; continue;
    }
    if (c === '$') {
      let j = i + 1;
      if (isIdentStart(at(j))) {
        while (isIdentChar(at(j))) j++;
        columns(j - i); push('variable', src.slice(i, j)); i = j; continue;
      }
      if (isDigit(at(j))) {
        while (isDigit(at(j))) j++;
        columns(j - i); push('positional parameter', src.slice(i, j)); i = j; continue;
      }
      if (at(j) === '#') { columns(2); push('$#', '$#'); i += 2; continue; }
      columns(1); error(`invalid character '${c}'`); i++; continue;
    }
    if (isIdentStart(c)) {
      let j = i;
      while (isIdentChar(at(j))) j++;
      const word = src.slice(i, j);
      if (word === 'struct' || word === 'union' || word === 'enum') { i = lexStruct(i, word); continue; }
      columns(j - i); i = j;
      if (KEYWORDS.has(word)) push(word as TokenKind, word);
      else if (STACK_MODES.has(word)) push('stack_mode', word);
      else if (BUILTINS.has(word) || /^s?arg[0-9]$/.test(word)) push('builtin', word);
      else if (CALLS.has(word)) push('call', word);
      else if (CALL_BUILTINS.has(word)) push('call_builtin', word);
      else push('identifier', word);
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (op) { columns(op.length); push(op, op); i += op.length; continue; }
    columns(1);
    error(`invalid character '${Buffer.from(c, 'latin1').toString('utf8')}'`);
    i++;
  }
  tokStart = { ...end };
  push('end of file', '');
  return { tokens, diagnostics };

  function decimalEnd(k: number): number {
    let j = k + 1;
    // [0-9_]*[0-9]: the run may not end with `_`.
    let last = k;
    while (isDigit(at(j)) || at(j) === '_') { if (isDigit(at(j))) last = j; j++; }
    return last + 1;
  }

  function lexString(start: number): number {
    let j = start + 1;
    columns(1);
    let value = '';
    for (;;) {
      if (j >= src.length) { error('unterminated string'); return j; }
      const ch = src[j]!;
      if (ch === '"') {
        columns(1); j++;
        push('string', Buffer.from(value, 'latin1').toString('utf8'));
        return j;
      }
      if (ch === '\n') {
        columns(1); error('unterminated string'); lines(0, 0);
        // The newline was consumed by the string rule; count it as a new line.
        end = { line: end.line + 1, column: 1, offset: end.offset };
        step();
        return j + 1;
      }
      if (ch === '\\') {
        const e = at(j + 1);
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };
        if (e in simple) { value += simple[e]; columns(2); j += 2; continue; }
        let m = /^[0-7]{1,3}/.exec(src.slice(j + 1, j + 4));
        if (m) {
          const v = parseInt(m[0], 8);
          columns(1 + m[0].length); j += 1 + m[0].length;
          if (v > 255) error(`octal escape sequence out of range '\\${m[0]}'`);
          value += String.fromCharCode(v & 0xff);
          continue;
        }
        m = /^[xX][0-9a-fA-F]{1,2}/.exec(src.slice(j + 1, j + 4));
        if (m) { value += String.fromCharCode(parseInt(m[0].slice(1), 16)); columns(1 + m[0].length); j += 1 + m[0].length; continue; }
        if (e === '' || e === '\n') { columns(1); j++; continue; }
        columns(2); j += 2;
        error(`invalid escape character '\\${Buffer.from(e, 'latin1').toString('utf8')}'`);
        continue;
      }
      let k = j;
      while (k < src.length && src[k] !== '"' && src[k] !== '\\' && src[k] !== '\n') k++;
      value += src.slice(j, k); columns(k - j); j = k;
    }
  }

  // `struct x` up to `*`, `)` or `,` becomes one identifier; `struct x { ... }` is a C definition.
  function lexStruct(start: number, word: string): number {
    let j = start + word.length;
    columns(word.length);
    let depth = 0;
    let body = '';
    while (j < src.length) {
      const ch = src[j]!;
      if (depth === 0 && (ch === '*' || ch === ')')) {
        push('identifier', `${word} ${body.trim()}`);
        return j;
      }
      if (ch === '{') { depth++; body += ch; columns(1); j++; continue; }
      if (ch === '}') {
        body += ch; columns(1); j++;
        depth--;
        if (depth <= 0) {
          if (at(j) === ';') { body += ';'; columns(1); j++; }
          push('struct definition', `${word}${body}`);
          return j;
        }
        continue;
      }
      if (ch === '\n') { body += ch; lines(1, 1); step(); j++; continue; }
      body += ch; columns(1); j++;
    }
    return j;
  }
}

/** Length of `/` plus the `{space}*[/{]` trailing context, or 0 when `/` does not end a predicate. */
function endPredicateLength(src: string, i: number): number {
  let j = i + 1;
  while (j < src.length && /[ \t\n\r]/.test(src[j]!)) j++;
  return src[j] === '/' || src[j] === '{' ? j + 1 - i : 0;
}

/** Lexes a JS string (converted to UTF-8 bytes first). */
export function lex(source: string): LexResult {
  return lexBytes(Buffer.from(source, 'utf8').toString('latin1'));
}
