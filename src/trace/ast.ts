// Typed AST for the bpftrace language (0.17 grammar).
//
// Every node carries two positions:
// - `range`: the exact source span of the node (1-based line/column, byte offsets, end exclusive);
// - `loc`: the position bpftrace 0.17 itself attaches to the node. bpftrace's lexer only moves the start of a
//   location on whitespace, so `printf("x")` tokens all start at `p`, and binary operators are located at their
//   operator. Semantic passes report errors at `loc` to print the same columns as bpftrace.

export interface Range {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** Byte offsets into the UTF-8 source, end exclusive. */
  start: number;
  end: number;
}

export type Location = Range;

interface NodeBase {
  range: Range;
  loc: Location;
}

export type BinaryOperator =
  | '||' | '&&' | '|' | '^' | '&' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '<<' | '>>' | '+' | '-' | '*' | '/' | '%';
export type UnaryOperator = '-' | '!' | '~' | '*' | '++' | '--';
export type CompoundOperator = '+=' | '-=' | '*=' | '/=' | '%=' | '&=' | '|=' | '^=' | '<<=' | '>>=';

// ---------- expressions ----------

export interface IntegerLiteral extends NodeBase { kind: 'Integer'; value: bigint; text: string }
export interface StringLiteral extends NodeBase { kind: 'String'; value: string }
export interface Builtin extends NodeBase { kind: 'Builtin'; name: string }
/** A bare identifier in expression position: a type name in sizeof(...), a field, a stack mode... */
export interface Identifier extends NodeBase { kind: 'Identifier'; name: string }
/** `bpftrace` / `perf` stack modes, as in kstack(perf). */
export interface StackMode extends NodeBase { kind: 'StackMode'; name: string }
/** `$1`..`$N` (`index` ≥ 1) or `$#` (`index` 0, `count` true). */
export interface PositionalParam extends NodeBase { kind: 'PositionalParam'; index: number; count: boolean }
/** Scratch variable `$name` (name includes the `$`). */
export interface Variable extends NodeBase { kind: 'Variable'; name: string }
/** `@name`, `@name[k]`, `@[k1, k2]`; name includes the `@` (just `@` for the anonymous map). */
export interface MapRef extends NodeBase { kind: 'Map'; name: string; keys: Expression[] }
export interface Call extends NodeBase { kind: 'Call'; name: string; args: Expression[]; nameRange: Range }
export interface Binary extends NodeBase { kind: 'Binary'; op: BinaryOperator; left: Expression; right: Expression }
export interface Unary extends NodeBase {
  kind: 'Unary';
  op: UnaryOperator;
  operand: Expression;
  /** `x++` / `x--`. */
  postfix: boolean;
}
export interface Ternary extends NodeBase { kind: 'Ternary'; cond: Expression; then: Expression; else: Expression }
/** `e.f` and `e->f`; `arrow` records the spelling (bpftrace models `->` as `(*e).f`). */
export interface FieldAccess extends NodeBase {
  kind: 'FieldAccess';
  object: Expression;
  field: string;
  arrow: boolean;
}
/** `t.0`: tuple element access. */
export interface TupleAccess extends NodeBase { kind: 'TupleAccess'; tuple: Expression; index: number }
export interface Index extends NodeBase { kind: 'Index'; object: Expression; index: Expression }
/** `(type)e`, `(type *)e`, `(struct x **)e`. */
export interface Cast extends NodeBase { kind: 'Cast'; typeName: string; pointerDepth: number; operand: Expression }
export interface Tuple extends NodeBase { kind: 'Tuple'; elements: Expression[] }

export type Expression =
  | IntegerLiteral | StringLiteral | Builtin | Identifier | StackMode | PositionalParam | Variable | MapRef | Call | Binary | Unary | Ternary | FieldAccess | TupleAccess | Index | Cast | Tuple;

// ---------- statements ----------

export interface ExprStatement extends NodeBase { kind: 'ExprStatement'; expr: Expression }
/** `$v = e`, `@m[k] = e`, and compound forms (`op` set, `value` is the right-hand side as written). */
export interface Assignment extends NodeBase {
  kind: 'Assignment';
  target: Variable | MapRef;
  op: '=' | CompoundOperator;
  value: Expression;
}
export interface If extends NodeBase {
  kind: 'If';
  cond: Expression;
  then: Block;
  /** `else { }` is a Block; `else if` is a Block holding one If, as in bpftrace. */
  else?: Block;
}
export interface Unroll extends NodeBase { kind: 'Unroll'; count: IntegerLiteral | PositionalParam; body: Block }
export interface While extends NodeBase { kind: 'While'; cond: Expression; body: Block }
export interface Jump extends NodeBase { kind: 'Jump'; jump: 'break' | 'continue' | 'return' }

export type Statement = ExprStatement | Assignment | If | Unroll | While | Jump;

export interface Block extends NodeBase { kind: 'Block'; statements: Statement[] }

// ---------- probes ----------

export type Provider =
  | 'BEGIN' | 'END' | 'tracepoint' | 'profile' | 'interval' | 'software' | 'hardware' | 'kprobe' | 'kretprobe'
  | 'uprobe' | 'uretprobe' | 'usdt' | 'rawtracepoint' | 'kfunc' | 'kretfunc' | 'watchpoint' | 'asyncwatchpoint'
  | 'iter';

export interface AttachPoint extends NodeBase {
  kind: 'AttachPoint';
  /** The text as written, e.g. `t:sched:sched_switch`. */
  raw: string;
  /** Canonical provider name (short forms expanded). */
  provider: Provider;
  /** tracepoint category, uprobe/usdt binary path, kprobe module, watchpoint address. */
  target?: string;
  /** tracepoint/kprobe/uprobe function (wildcards kept), software/hardware event name. */
  func?: string;
  /** usdt provider namespace. */
  ns?: string;
  /** profile/interval unit (hz s ms us) and the rate or period; software/hardware/watchpoint counts. */
  unit?: string;
  freq?: number;
  /** kprobe/uprobe `+offset`, watchpoint length and mode. */
  offset?: number;
  len?: number;
  mode?: string;
  /** Canonical text as bpftrace prints it (`tracepoint:sched:sched_switch`). */
  name: string;
  /** True when target or func contain `*` or `?`. */
  wildcard: boolean;
}

export interface Predicate extends NodeBase { kind: 'Predicate'; expr: Expression }

export interface Probe extends NodeBase {
  kind: 'Probe';
  attachPoints: AttachPoint[];
  predicate?: Predicate;
  block: Block;
}

export interface Program extends NodeBase {
  kind: 'Program';
  /** `#include`/`#define` lines and C struct definitions, joined as bpftrace passes them to clang. */
  cDefinitions: string;
  probes: Probe[];
}

export type Node = Program | Probe | AttachPoint | Predicate | Block | Statement | Expression;
