// Recursive-descent parser for the bpftrace 0.17 language. It accepts what bpftrace 0.17's bison grammar accepts
// and reports syntax errors with bison's wording ("syntax error, unexpected X, expecting Y") at the token where
// bison detects them (bison reduces by default, so an unexpected token after a complete statement is reported as
// "expecting }").
import type * as A from './ast.js';
import { parseAttachPoint } from './attach-point.js';
import { ParseError, type Diagnostic } from './diagnostics.js';
import { lexBytes, type Token, type TokenKind } from './lexer.js';

/** Thrown inside the parser to unwind to `parse()`; never escapes it. */
class Abort extends Error {}

const COMPOUND: ReadonlySet<string> = new Set(['+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<=', '>>=']);
const COMPOUND_TO_BINARY: Record<string, A.BinaryOperator> = {
  '+=': '+', '-=': '-', '*=': '*', '/=': '/', '%=': '%', '&=': '&', '|=': '|', '^=': '^', '<<=': '<<', '>>=': '>>',
};

/** Binary levels, loosest first; each is left-associative. */
const BINARY_LEVELS: A.BinaryOperator[][] = [
  ['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<=', '>=', '<', '>'], ['<<', '>>'], ['+', '-'], ['*', '/', '%'],
];

/** Tokens that can follow `attach_point_def` items (they are concatenated into the attach point text). */
const ATTACH_TOKENS: ReadonlySet<TokenKind> = new Set<TokenKind>([
  'identifier', 'builtin', 'call', 'call_builtin', 'stack_mode', 'string', 'path', 'integer', ':', '.', '+', '*',
  '[', ']', 'positional parameter', '$#',
]);
const IDENT_TOKENS: ReadonlySet<TokenKind> = new Set<TokenKind>([
  'identifier', 'builtin', 'call', 'call_builtin', 'stack_mode',
]);

export interface ParseOptions {
  /** Also accept a probe list without a block (bpftrace -l). */
  listing?: boolean;
}

/** Parses a bpftrace script. Throws ParseError (with every diagnostic bpftrace would print) on bad input. */
export function parse(source: string, filename = 'stdin', options: ParseOptions = {}): A.Program {
  const bytes = Buffer.from(source, 'utf8').toString('latin1');
  const { tokens, diagnostics } = lexBytes(bytes);
  const parser = new Parser(tokens, diagnostics, options);
  let program: A.Program | undefined;
  try {
    program = parser.program();
  } catch (e) {
    if (!(e instanceof Abort)) throw e;
  }
  if (diagnostics.length === 0) diagnostics.push(...parser.deferred);
  if (diagnostics.length > 0 || !program) throw new ParseError(diagnostics, filename);
  return program;
}

function merge(a: A.Range, b: A.Range): A.Range {
  return { line: a.line, column: a.column, endLine: b.endLine, endColumn: b.endColumn, start: a.start, end: b.end };
}

/** An empty location at the end of `r` (bison's location of an empty rule). */
function emptyAfter(r: A.Range): A.Range {
  return { line: r.endLine, column: r.endColumn, endLine: r.endLine, endColumn: r.endColumn, start: r.end, end: r.end };
}

class Parser {
  private pos = 0;
  /** bison's @$ (whole-rule location) for each parsed node, which may differ from the node's own `loc`. */
  private readonly whole = new WeakMap<object, A.Range>();
  /** Attach point errors, reported after a successful parse (as bpftrace's AttachPointParser does). */
  readonly deferred: Diagnostic[] = [];

  constructor(
    private readonly tokens: Token[],
    private readonly diagnostics: Diagnostic[],
    private readonly options: ParseOptions,
  ) {}

  // ---------- token helpers ----------

  private get tok(): Token { return this.tokens[this.pos]!; }
  private peek(n = 1): Token { return this.tokens[Math.min(this.pos + n, this.tokens.length - 1)]!; }
  private is(kind: TokenKind): boolean { return this.tok.kind === kind; }
  private next(): Token { const t = this.tok; if (this.pos < this.tokens.length - 1) this.pos++; return t; }

  private fail(message: string, loc: A.Range): never {
    this.diagnostics.push({ severity: 'ERROR', message, loc });
    throw new Abort();
  }

  /** bison's verbose syntax error: more than four expected tokens are not listed. */
  private syntaxError(expected: TokenKind[] = []): never {
    const t = this.tok;
    let msg = `syntax error, unexpected ${t.kind === ',' ? '","' : t.kind}`;
    // bison keeps the quotes of token aliases that contain a comma.
    const show = (k: TokenKind): string => (k === ',' ? '","' : k);
    if (expected.length > 0 && expected.length <= 4) msg += `, expecting ${expected.map(show).join(' or ')}`;
    this.fail(msg, t.loc);
  }

  private expect(kind: TokenKind, expected: TokenKind[] = [kind]): Token {
    if (!this.is(kind)) this.syntaxError(expected);
    return this.next();
  }

  private wholeOf(n: object & { loc: A.Range }): A.Range { return this.whole.get(n) ?? n.loc; }

  private node<T extends object & { range: A.Range; loc: A.Range }>(n: T, whole?: A.Range): T {
    if (whole) this.whole.set(n, whole);
    return n;
  }

  // ---------- program and probes ----------

  program(): A.Program {
    const first = this.tok;
    const defs: string[] = [];
    while (this.is('preprocessor directive') || this.is('struct definition')) {
      const t = this.next();
      defs.push(t.kind === 'struct definition' ? `${t.text};` : t.text);
    }
    const probes: A.Probe[] = [this.probe()];
    while (!this.is('end of file')) probes.push(this.probe());
    const last = this.tok;
    return {
      kind: 'Program',
      cDefinitions: defs.map((d) => `${d}\n`).join(''),
      probes,
      range: merge(first.range, last.range),
      loc: merge(first.loc, last.loc),
    };
  }

  private probe(): A.Probe {
    // Empty attach points (`a:b:c, { }`) are dropped, as bpftrace does.
    const attachPoints: A.AttachPoint[] = [];
    const first = this.attachPoint();
    if (first.ap) attachPoints.push(first.ap);
    while (this.is(',')) {
      this.next();
      const more = this.attachPoint();
      if (more.ap) attachPoints.push(more.ap);
    }
    if (this.is('end of file') && attachPoints.length > 0) {
      this.fail('unexpected end of file, expected {', merge(attachPoints[0]!.loc, this.tok.loc));
    }
    let predicate: A.Predicate | undefined;
    if (this.is('/')) predicate = this.predicate();
    // bison reduces the (possibly empty) predicate by default, so anything else here "expects {".
    if (!this.is('{')) this.syntaxError(['{']);
    const block = this.block();
    if (attachPoints.length === 0) this.deferred.push({ severity: 'ERROR', message: 'No attach points for probe', loc: first.loc });
    const start = attachPoints[0]?.range ?? block.range;
    const range = merge(start, block.range);
    return { kind: 'Probe', attachPoints, ...(predicate ? { predicate } : {}), block, range, loc: range };
  }

  private attachPoint(): { ap?: A.AttachPoint; loc: A.Range } {
    const parts: Token[] = [];
    let raw = '';
    const before = this.tokens[this.pos - 1];
    while (ATTACH_TOKENS.has(this.tok.kind)) {
      const t = this.next();
      parts.push(t);
      if (t.kind === 'string') raw += `"${t.text.replace(/"/g, '\\"')}"`;
      else if (t.kind === 'integer') raw += t.value!.toString();
      else if (t.kind === '$#') this.fail('Not a positional parameter', t.loc);
      else if (t.kind === 'positional parameter') raw += `$${this.paramIndex(t)}`;
      else raw += t.text;
    }
    let range: A.Range;
    let loc: A.Range;
    if (parts.length > 0) {
      range = merge(parts[0]!.range, parts[parts.length - 1]!.range);
      loc = merge(parts[0]!.loc, parts[parts.length - 1]!.loc);
    } else if (before) {
      range = emptyAfter(before.range);
      loc = emptyAfter(before.loc);
    } else {
      // An empty rule at the very start of the input is located at 1:1.
      range = { line: 1, column: 1, endLine: 1, endColumn: 1, start: 0, end: 0 };
      loc = range;
    }
    if (raw === '') return { loc };
    const parsed = parseAttachPoint(raw);
    // bpftrace checks attach points only once the whole program parsed; keep the error until then.
    if ('error' in parsed) {
      this.deferred.push({ severity: 'ERROR', message: parsed.error, loc });
      return { loc, ap: { kind: 'AttachPoint', raw, range, loc, provider: 'BEGIN', name: raw, wildcard: false } };
    }
    return { loc, ap: { kind: 'AttachPoint', raw, range, loc, ...parsed.value } };
  }

  private predicate(): A.Predicate {
    const open = this.next();
    const expr = this.expr();
    const close = this.expect('end predicate');
    return {
      kind: 'Predicate',
      expr,
      range: merge(open.range, close.range),
      loc: merge(open.loc, close.loc),
    };
  }

  private block(): A.Block {
    const open = this.expect('{');
    const statements = this.statements();
    const close = this.expect('}');
    return { kind: 'Block', statements, range: merge(open.range, close.range), loc: merge(open.loc, close.loc) };
  }

  // ---------- statements ----------

  private statements(): A.Statement[] {
    const out: A.Statement[] = [];
    for (;;) {
      if (this.is('}')) return out;
      if (this.is('if') || this.is('unroll') || this.is('while')) {
        out.push(this.blockStatement());
        continue;
      }
      if (!this.startsExprStatement()) this.syntaxError(['}']);
      out.push(this.exprStatement());
      if (this.is(';')) { this.next(); continue; }
      if (this.is('}')) return out;
      this.syntaxError(['}']);
    }
  }

  private startsExprStatement(): boolean {
    switch (this.tok.kind) {
      case 'break': case 'continue': case 'return':
      case 'identifier': case 'integer': case 'string': case 'stack_mode': case 'builtin': case 'call_builtin':
      case 'call': case '(': case 'positional parameter': case '$#': case 'map': case 'variable':
      case '++': case '--': case '*': case '~': case '!': case '-':
        return true;
      default:
        return false;
    }
  }

  private blockStatement(): A.Statement {
    if (this.is('if')) return this.ifStatement();
    const kw = this.next();
    this.expect('(');
    if (kw.kind === 'unroll') {
      let count: A.IntegerLiteral | A.PositionalParam;
      if (this.is('-') && this.peek().kind === 'integer') count = this.negativeInteger();
      else if (this.is('integer')) count = this.integer(this.next());
      else if (this.is('positional parameter') || this.is('$#')) count = this.param();
      else this.syntaxError(['$#', '-', 'positional parameter', 'integer']);
      const close = this.expect(')');
      const body = this.block();
      return {
        kind: 'Unroll', count, body, range: merge(kw.range, body.range), loc: merge(kw.loc, close.loc),
      };
    }
    const cond = this.expr();
    this.expect(')', [')']);
    const body = this.block();
    return { kind: 'While', cond, body, range: merge(kw.range, body.range), loc: kw.loc };
  }

  private ifStatement(): A.If {
    const kw = this.next();
    this.expect('(');
    const cond = this.expr();
    this.expect(')', [')']);
    const then = this.block();
    let elseBlock: A.Block | undefined;
    if (this.is('else')) {
      this.next();
      if (this.is('if')) {
        const inner = this.ifStatement();
        elseBlock = { kind: 'Block', statements: [inner], range: inner.range, loc: inner.loc };
      } else {
        if (!this.is('{')) this.syntaxError(['{', 'if']);
        elseBlock = this.block();
      }
    }
    const end = elseBlock ?? then;
    const range = merge(kw.range, end.range);
    return { kind: 'If', cond, then, ...(elseBlock ? { else: elseBlock } : {}), range, loc: merge(kw.loc, end.loc) };
  }

  private exprStatement(): A.Statement {
    const t = this.tok;
    if (t.kind === 'break' || t.kind === 'continue' || t.kind === 'return') {
      this.next();
      return { kind: 'Jump', jump: t.kind, range: t.range, loc: t.loc };
    }
    const expr = this.expr();
    const op = this.tok;
    if (op.kind === '=' || COMPOUND.has(op.kind)) {
      if (expr.kind === 'TupleAccess' && op.kind === '=') {
        this.next();
        const value = this.expr();
        this.fail(
          'Tuples are immutable once created. Consider creating a new tuple and assigning it instead.',
          merge(this.wholeOf(expr), this.wholeOf(value)),
        );
      }
      if (expr.kind !== 'Variable' && expr.kind !== 'Map') this.syntaxError(['}']);
      this.next();
      const value = this.expr();
      const range = merge(expr.range, value.range);
      const whole = merge(this.wholeOf(expr), this.wholeOf(value));
      return {
        kind: 'Assignment',
        target: expr,
        op: op.kind as A.Assignment['op'],
        value,
        range,
        loc: op.kind === '=' ? op.loc : whole,
      };
    }
    return { kind: 'ExprStatement', expr, range: expr.range, loc: this.wholeOf(expr) };
  }

  // ---------- expressions ----------

  expr(): A.Expression {
    const cond = this.binary(0);
    if (!this.is('?')) return cond;
    this.next();
    const then = this.expr();
    this.expect(':', [':']);
    const otherwise = this.conditionalOnly();
    const whole = merge(this.wholeOf(cond), this.wholeOf(otherwise));
    return this.node(
      { kind: 'Ternary', cond, then, else: otherwise, range: merge(cond.range, otherwise.range), loc: whole },
      whole,
    );
  }

  /** conditional_expr (no assignment in bpftrace expressions; same as expr). */
  private conditionalOnly(): A.Expression { return this.expr(); }

  private binary(level: number): A.Expression {
    if (level >= BINARY_LEVELS.length) return this.cast();
    const ops = BINARY_LEVELS[level]!;
    let left = this.binary(level + 1);
    while ((ops as string[]).includes(this.tok.kind)) {
      const op = this.next();
      const right = this.binary(level + 1);
      const whole = merge(this.wholeOf(left), this.wholeOf(right));
      left = this.node(
        { kind: 'Binary', op: op.kind as A.BinaryOperator, left, right, range: merge(left.range, right.range), loc: op.loc },
        whole,
      );
    }
    return left;
  }

  /** cast_expr: `(ident) e`, `(ident *) e`, `(ident **) e`, or a unary expression. */
  private cast(): A.Expression {
    if (this.is('(') && this.peek().kind === 'identifier') {
      const after = this.peek(2).kind;
      if (after === ')' || after === '*') {
        const open = this.next();
        const type = this.next();
        let depth = 0;
        while (this.is('*') && depth < 2) { this.next(); depth++; }
        const close = this.expect(')', depth === 2 ? [')'] : [')', '*']);
        const operand = this.cast();
        const loc = merge(open.loc, close.loc);
        return this.node(
          {
            kind: 'Cast', typeName: type.text, pointerDepth: depth, operand,
            range: merge(open.range, operand.range), loc,
          },
          merge(open.loc, this.wholeOf(operand)),
        );
      }
    }
    return this.unary();
  }

  private unary(): A.Expression {
    const t = this.tok;
    if (t.kind === '-' && this.peek().kind === 'integer') return this.postfix(this.negativeInteger());
    switch (t.kind) {
      case '-': case '*': case '~': case '!': {
        this.next();
        const operand = this.cast();
        return this.node(
          { kind: 'Unary', op: t.kind as A.UnaryOperator, operand, postfix: false, range: merge(t.range, operand.range), loc: t.loc },
          merge(t.loc, this.wholeOf(operand)),
        );
      }
      case '++': case '--': {
        this.next();
        const target = this.tok;
        if (target.kind === 'map' || target.kind === 'variable') {
          const operand = this.mapOrVar();
          return this.node(
            { kind: 'Unary', op: t.kind, operand, postfix: false, range: merge(t.range, operand.range), loc: t.loc },
            merge(t.loc, this.wholeOf(operand)),
          );
        }
        if (IDENT_TOKENS.has(target.kind)) this.fail(`The ${t.kind} operator must be applied to a map or variable`, t.loc);
        this.syntaxError(['map', 'variable']);
      }
      // eslint-disable-next-line no-fallthrough
      default:
        return this.postfix(this.primary());
    }
  }

  private postfix(base: A.Expression): A.Expression {
    let e = base;
    for (;;) {
      const t = this.tok;
      if (t.kind === '.') {
        this.next();
        const f = this.tok;
        if (f.kind === 'integer') {
          this.next();
          e = this.node(
            { kind: 'TupleAccess', tuple: e, index: Number(f.value!), range: merge(e.range, f.range), loc: f.loc },
            merge(this.wholeOf(e), f.loc),
          );
          continue;
        }
        if (!IDENT_TOKENS.has(f.kind)) this.syntaxError();
        this.next();
        e = this.node(
          { kind: 'FieldAccess', object: e, field: f.text, arrow: false, range: merge(e.range, f.range), loc: t.loc },
          merge(this.wholeOf(e), f.loc),
        );
        continue;
      }
      if (t.kind === '->') {
        this.next();
        const f = this.tok;
        if (!IDENT_TOKENS.has(f.kind)) this.syntaxError();
        this.next();
        const whole = merge(this.wholeOf(e), f.loc);
        e = this.node(
          { kind: 'FieldAccess', object: e, field: f.text, arrow: true, range: merge(e.range, f.range), loc: whole },
          whole,
        );
        continue;
      }
      if (t.kind === '[') {
        this.next();
        const index = this.expr();
        const close = this.expect(']', [']']);
        e = this.node(
          { kind: 'Index', object: e, index, range: merge(e.range, close.range), loc: merge(t.loc, close.loc) },
          merge(this.wholeOf(e), close.loc),
        );
        continue;
      }
      if ((t.kind === '++' || t.kind === '--') && (e.kind === 'Map' || e.kind === 'Variable')) {
        this.next();
        e = this.node(
          { kind: 'Unary', op: t.kind, operand: e, postfix: true, range: merge(e.range, t.range), loc: t.loc },
          merge(this.wholeOf(e), t.loc),
        );
        continue;
      }
      return e;
    }
  }

  private primary(): A.Expression {
    const t = this.tok;
    switch (t.kind) {
      case 'integer':
        this.next();
        return this.integer(t);
      case 'string':
        this.next();
        return { kind: 'String', value: t.text, range: t.range, loc: t.loc };
      case 'positional parameter': case '$#':
        return this.param();
      case 'map': case 'variable':
        return this.mapOrVar();
      case 'call': case 'call_builtin':
        if (this.peek().kind === '(') return this.call(true);
        if (t.kind === 'call_builtin') {
          this.next();
          return { kind: 'Builtin', name: t.text, range: t.range, loc: t.loc };
        }
        // bison reduces a lone function name to `ident`, which may only be followed by ++ or --.
        this.next();
        if (this.is('++') || this.is('--')) this.fail(`The ${this.tok.kind} operator must be applied to a map or variable`, t.loc);
        this.syntaxError(['++', '--']);
      // eslint-disable-next-line no-fallthrough
      case 'identifier': case 'builtin': case 'stack_mode': {
        const nxt = this.peek().kind;
        if (nxt === '(') return this.call(false);
        if (nxt === '++' || nxt === '--') this.fail(`The ${nxt} operator must be applied to a map or variable`, t.loc);
        this.next();
        if (t.kind === 'identifier') return { kind: 'Identifier', name: t.text, range: t.range, loc: t.loc };
        if (t.kind === 'builtin') return { kind: 'Builtin', name: t.text, range: t.range, loc: t.loc };
        return { kind: 'StackMode', name: t.text, range: t.range, loc: t.loc };
      }
      case '(': {
        const open = this.next();
        const first = this.expr();
        if (this.is(',')) {
          const elements = [first];
          while (this.is(',')) { this.next(); elements.push(this.expr()); }
          const close = this.expect(')', [')', ',']);
          const loc = merge(open.loc, close.loc);
          return this.node({ kind: 'Tuple', elements, range: merge(open.range, close.range), loc }, loc);
        }
        const close = this.expect(')', [')', ',']);
        // Parentheses leave no node; remember the widened extent for the enclosing rule's location.
        this.whole.set(first, merge(open.loc, close.loc));
        return first;
      }
      default:
        this.syntaxError();
    }
  }

  private call(known: boolean): A.Expression {
    const name = this.next();
    const open = this.next();
    const args: A.Expression[] = [];
    if (!this.is(')')) {
      args.push(this.expr());
      while (this.is(',')) { this.next(); args.push(this.expr()); }
    }
    const close = this.expect(')', [')', ',']);
    if (!known) this.fail(`Unknown function: ${name.text}`, name.loc);
    void open;
    const loc = merge(name.loc, close.loc);
    return this.node(
      { kind: 'Call', name: name.text, args, nameRange: name.range, range: merge(name.range, close.range), loc },
      loc,
    );
  }

  private mapOrVar(): A.MapRef | A.Variable {
    const t = this.next();
    if (t.kind === 'variable') return { kind: 'Variable', name: t.text, range: t.range, loc: t.loc };
    if (!this.is('[')) return { kind: 'Map', name: t.text, keys: [], range: t.range, loc: t.loc };
    this.next();
    const keys: A.Expression[] = [this.mapKey()];
    while (this.is(',')) { this.next(); keys.push(this.mapKey()); }
    const close = this.expect(']', [']', ',']);
    const loc = merge(t.loc, close.loc);
    return this.node({ kind: 'Map', name: t.text, keys, range: merge(t.range, close.range), loc }, loc);
  }

  /** bpftrace 0.17 has no `@m[*]` wildcard keys: a key is any expression. */
  private mapKey(): A.Expression {
    return this.expr();
  }

  private param(): A.PositionalParam {
    const t = this.next();
    if (t.kind === '$#') return { kind: 'PositionalParam', index: 0, count: true, range: t.range, loc: t.loc };
    return { kind: 'PositionalParam', index: this.paramIndex(t), count: false, range: t.range, loc: t.loc };
  }

  private paramIndex(t: Token): number {
    const n = BigInt(t.text.slice(1));
    if (n === 0n || n > 9223372036854775807n) {
      this.fail(`param ${t.text} is out of integer range [1, 9223372036854775807]`, t.loc);
    }
    return Number(n);
  }

  private integer(t: Token): A.IntegerLiteral {
    // bpftrace stores integers as signed 64-bit (`long`).
    return { kind: 'Integer', value: BigInt.asIntN(64, t.value!), text: t.text, range: t.range, loc: t.loc };
  }

  private negativeInteger(): A.IntegerLiteral {
    const minus = this.next();
    const t = this.next();
    return {
      kind: 'Integer',
      value: BigInt.asIntN(64, -t.value!),
      text: `-${t.text}`,
      range: merge(minus.range, t.range),
      loc: merge(minus.loc, t.loc),
    };
  }
}
