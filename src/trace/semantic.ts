// The semantic pass: expands attach points, gives every expression a type, infers every map's kind, key and value
// types, and reports errors at bpftrace's positions with bpftrace's words. Pure apart from the injected resolver.
import type * as A from './ast.js';
import type { AttachSpec, MapKind } from './compiled.js';
import { CompileError, type Diagnostic } from './diagnostics.js';
import { printfTokens } from './output/printf.js';
import type { TracepointFormat, TracepointField } from './tracepoint-format.js';
import {
  int64, isInt, isStr, none, sameShape, str, STRLEN, typeName, uint32, uint64, widen, type AggregationName, type SType,
} from './types.js';

/** What the checker needs from the outside world (tracefs), injected so the pass stays testable. */
export interface Resolver {
  /** Concrete tracepoints matching category and name globs, as [category, name] pairs. */
  tracepoints(category: string, name: string): Array<[string, string]>;
  format(category: string, name: string): TracepointFormat;
}

export interface MapDecl {
  name: string;
  kind: MapKind;
  /** One type per key argument; [] for a map without keys. */
  keys: SType[];
  /** Value type of 'value' maps; the argument type of aggregations. */
  value: SType;
  lhist?: { min: number; max: number; step: number };
}

export interface ConcreteProbe {
  probe: A.Probe;
  attachPoint: A.AttachPoint;
  attach: AttachSpec;
  /** Canonical probe name (the `probe` builtin): "tracepoint:syscalls:sys_enter_openat". */
  name: string;
  tracepoint?: TracepointFormat;
  types: Map<A.Expression, SType>;
  variables: Map<string, SType>;
}

export interface Analysis {
  probes: ConcreteProbe[];
  maps: Map<string, MapDecl>;
  positional: string[];
}

const aggregations: Record<AggregationName, number> = {
  count: 0, sum: 1, min: 1, max: 1, avg: 1, stats: 1, hist: 1, lhist: 4,
};

const builtinTypes: Record<string, SType> = {
  pid: uint32, tid: uint32, uid: uint32, gid: uint32, cpu: uint32, nsecs: uint64, elapsed: uint64,
  cgroup: uint64, rand: uint32, curtask: uint64, retval: int64, comm: str(16), func: str(STRLEN),
};

const argN = /^arg([0-9])$/;

/** Functions this compiler knows, with bpftrace's arity words. */
const knownFunctions = new Set([
  'printf', 'print', 'str', 'time', 'exit', 'delete', 'clear', 'zero', ...Object.keys(aggregations),
]);

class Checker {
  readonly diagnostics: Diagnostic[] = [];
  readonly maps = new Map<string, MapDecl>();
  /** In the first pass, reads of maps not yet assigned are not errors. */
  final = false;
  private probe!: ConcreteProbe;

  constructor(readonly positional: string[]) {}

  error(message: string, loc?: A.Location): void {
    if (!this.final) return;
    if (this.diagnostics.some((d) => d.message === message && d.loc?.start === loc?.start)) return;
    this.diagnostics.push(loc ? { severity: 'ERROR', message, loc } : { severity: 'ERROR', message });
  }

  checkProbe(p: ConcreteProbe): void {
    this.probe = p;
    p.types.clear();
    p.variables.clear();
    if (p.probe.predicate) {
      const t = this.expr(p.probe.predicate.expr);
      if (!isInt(t) && t.k !== 'none') this.error(`Invalid type for predicate: ${typeName(t)}`, p.probe.predicate.loc);
    }
    this.block(p.probe.block, { loop: false });
  }

  private block(b: A.Block, ctx: { loop: boolean }): void {
    for (const s of b.statements) this.statement(s, ctx);
  }

  private statement(s: A.Statement, ctx: { loop: boolean }): void {
    switch (s.kind) {
      case 'ExprStatement':
        this.expr(s.expr, true);
        return;
      case 'Assignment':
        this.assignment(s);
        return;
      case 'If': {
        const t = this.expr(s.cond);
        if (!isInt(t) && t.k !== 'none') this.error(`Invalid condition in if(): ${typeWord(t)}`, { ...s.loc, line: 1, column: 1, endLine: 1, endColumn: 1 });
        this.block(s.then, ctx);
        if (s.else) this.block(s.else, ctx);
        return;
      }
      case 'Unroll':
        this.block(s.body, ctx);
        return;
      case 'While': {
        const t = this.expr(s.cond);
        if (!isInt(t)) this.error(`Invalid condition in while(): ${typeName(t)}`, s.cond.loc);
        this.block(s.body, { loop: true });
        return;
      }
      case 'Jump':
        if (s.jump !== 'return' && !ctx.loop) this.error(`${s.jump} used outside of a loop`, s.loc);
    }
  }

  private assignment(s: A.Assignment): void {
    const target = s.target;
    if (s.op !== '=') {
      // Compound assignment: target must already be an integer; the value too.
      const cur = target.kind === 'Variable' ? this.variableType(target) : this.mapRead(target);
      const v = this.expr(s.value);
      if (!isInt(v) || (cur.k !== 'none' && !isInt(cur))) {
        this.error(`Type mismatch for '${s.op.slice(0, -1)}': comparing '${typeName(cur)}' with '${typeName(v)}'`, s.loc);
      }
      if (target.kind === 'Map') this.assignMap(target, int64, s.loc);
      return;
    }
    const value = s.value;
    if (value.kind === 'Call' && value.name in aggregations) {
      if (target.kind !== 'Map') {
        this.error(`${value.name}() should be directly assigned to a map`, value.loc);
        return;
      }
      this.aggregation(target, value);
      return;
    }
    let t = this.expr(value);
    if (t.k === 'agg' && ['count', 'sum', 'min', 'max', 'avg'].includes(t.fn)) t = int64;
    if (t.k === 'none' || t.k === 'args') {
      // bpftrace never types the target either, so it also reports the target as undefined.
      if (target.kind === 'Map' && !this.maps.has(target.name)) this.error(`Undefined map: ${target.name}`, target.loc);
      this.error(`Invalid expression for assignment: ${typeName(t)}`, value.loc);
      return;
    }
    if (target.kind === 'Variable') {
      const prev = this.probe.variables.get(target.name);
      if (prev && !sameShape(prev, t)) {
        this.error(`Type mismatch for ${target.name}: trying to assign value of type '${typeName(t)}' when variable already contains a value of type '${typeName(prev)}'`, s.loc);
        return;
      }
      const merged = prev ? widen(prev, t) : t;
      this.probe.variables.set(target.name, merged);
      this.setType(target, merged);
      return;
    }
    this.assignMap(target, t, target.loc);
  }

  private assignMap(target: A.MapRef, t: SType, loc: A.Location): void {
    const keys = this.mapKeys(target);
    if (!keys) return;
    const decl = this.maps.get(target.name);
    if (!decl) {
      this.maps.set(target.name, { name: target.name, kind: 'value', keys, value: t });
      return;
    }
    if (!this.keysMatch(target, decl, keys)) return;
    if (decl.kind !== 'value' || !sameShape(decl.value, t)) {
      const have = decl.kind === 'value' ? typeName(decl.value) : decl.kind;
      // bpftrace 0.17 forgets the closing quote in this one message.
      this.error(`Type mismatch for ${target.name}: trying to assign value of type '${typeName(t)}' when map already contains a value of type '${have}`, loc);
      return;
    }
    decl.value = widen(decl.value, t);
    decl.keys = decl.keys.map((k, i) => widen(k, keys[i]!));
  }

  private aggregation(target: A.MapRef, call: A.Call): void {
    const fn = call.name as AggregationName;
    const want = aggregations[fn];
    if (call.args.length !== want) {
      const words = want === 0 ? 'no arguments' : want === 1 ? 'one argument' : `${want} arguments`;
      this.error(`${fn}() requires ${words} (${call.args.length} provided)`, call.loc);
      return;
    }
    const argTypes = call.args.map((a) => this.expr(a));
    if (argTypes[0] && !isInt(argTypes[0])) {
      this.error(`${fn}() only supports integer arguments (${typeWord(argTypes[0])} provided)`, call.loc);
    }
    let lhist: MapDecl['lhist'];
    if (fn === 'lhist') {
      const [min, max, step] = call.args.slice(1).map((a) => this.constantInt(a));
      if (min === undefined || max === undefined || step === undefined) {
        this.error('lhist() min, max and step must be integer literals', call.loc);
        return;
      }
      if (step <= 0) this.error('lhist() step must be >= 1', call.args[3]!.loc);
      if (min >= max) this.error('lhist() min must be less than max', call.args[1]!.loc);
      lhist = { min, max, step };
    }
    this.setType(call, { k: 'agg', fn });
    const keys = this.mapKeys(target);
    if (!keys) return;
    const decl = this.maps.get(target.name);
    if (!decl) {
      this.maps.set(target.name, { name: target.name, kind: fn, keys, value: argTypes[0] ?? uint64, ...(lhist ? { lhist } : {}) });
      return;
    }
    if (!this.keysMatch(target, decl, keys)) return;
    if (decl.kind !== fn) {
      const have = decl.kind === 'value' ? typeName(decl.value) : decl.kind;
      this.error(`Type mismatch for ${target.name}: trying to assign value of type '${fn}' when map already contains a value of type '${have}`, call.loc);
    }
  }

  private keysMatch(target: A.MapRef, decl: MapDecl, keys: SType[]): boolean {
    const ok = decl.keys.length === keys.length && decl.keys.every((k, i) => sameShape(k, keys[i]!));
    if (!ok) {
      this.error(`Argument mismatch for ${target.name}: trying to access with arguments: [${keys.map(keyTypeName).join(', ')}] when map expects arguments: [${decl.keys.map(keyTypeName).join(', ')}]`, target.loc);
    }
    return ok;
  }

  private mapKeys(m: A.MapRef): SType[] | undefined {
    const keys: SType[] = [];
    for (const k of m.keys) {
      const t = this.expr(k);
      if (t.k === 'none') return undefined; // already reported
      if (t.k === 'agg' || t.k === 'args') {
        this.error(`Invalid map key type: ${typeName(t)}`, k.loc);
        return undefined;
      }
      if (t.k === 'tuple') {
        this.error('Tuple map keys are not supported', k.loc);
        return undefined;
      }
      // Integer keys are stored as 64-bit values (bpftrace sorts them unsigned but prints them with their sign).
      keys.push(t.k === 'int' ? { ...t, size: 8 } : t.k === 'ptr' ? uint64 : t);
    }
    return keys;
  }

  private mapRead(m: A.MapRef): SType {
    const keys = this.mapKeys(m);
    const decl = this.maps.get(m.name);
    if (!decl) {
      this.error(`Undefined map: ${m.name}`, m.loc);
      return none;
    }
    if (keys) this.keysMatch(m, decl, keys);
    const t: SType = decl.kind === 'value' ? decl.value : { k: 'agg', fn: decl.kind as AggregationName };
    return this.setType(m, t);
  }

  private variableType(v: A.Variable): SType {
    const t = this.probe.variables.get(v.name);
    if (!t) {
      this.error(`Undefined or undeclared variable: ${v.name}`, v.loc);
      return none;
    }
    return this.setType(v, t);
  }

  private setType(e: A.Expression, t: SType): SType {
    this.probe.types.set(e, t);
    return t;
  }

  constantInt(e: A.Expression): number | undefined {
    if (e.kind === 'Integer') return Number(e.value);
    if (e.kind === 'Unary' && e.op === '-' && e.operand.kind === 'Integer') return -Number(e.operand.value);
    if (e.kind === 'PositionalParam' && !e.count) {
      const v = this.positional[e.index - 1];
      return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
    }
    return undefined;
  }

  expr(e: A.Expression, statement = false): SType {
    const t = this.exprInner(e, statement);
    return this.setType(e, t);
  }

  private exprInner(e: A.Expression, statement: boolean): SType {
    switch (e.kind) {
      case 'Integer':
        return int64;
      case 'String':
        return str(Buffer.byteLength(e.value) + 1);
      case 'PositionalParam': {
        if (e.count) return int64;
        const v = this.positional[e.index - 1];
        if (v === undefined || /^-?\d+$/.test(v) || /^0x[0-9a-f]+$/i.test(v)) return int64;
        return str(Buffer.byteLength(v) + 1);
      }
      case 'Builtin':
        return this.builtin(e);
      case 'Identifier':
        this.error(`Unknown identifier: '${e.name}'`, e.loc);
        return none;
      case 'Variable':
        return this.variableType(e);
      case 'Map':
        return this.mapRead(e);
      case 'Call':
        return this.call(e, statement);
      case 'Binary':
        return this.binary(e);
      case 'Unary': {
        if (e.op === '++' || e.op === '--') {
          const target = e.operand;
          if (target.kind === 'Variable') {
            const t = this.variableType(target);
            if (t.k !== 'none' && !isInt(t)) this.error(`The ${e.op} operator must be applied to an integer`, e.loc);
            return int64;
          }
          if (target.kind === 'Map') {
            const keys = this.mapKeys(target);
            if (keys && !this.maps.has(target.name)) this.maps.set(target.name, { name: target.name, kind: 'value', keys, value: int64 });
            this.mapRead(target);
            return int64;
          }
          this.error(`The ${e.op} operator must be applied to a map or variable`, e.loc);
          return none;
        }
        const t = this.expr(e.operand);
        if (e.op === '*') {
          this.error('Dereferencing pointers is not supported yet', e.loc);
          return none;
        }
        if (!isInt(t)) this.error(`Invalid type for unary operator ${e.op}: ${typeName(t)}`, e.loc);
        return e.op === '!' ? int64 : t.k === 'ptr' ? uint64 : t.k === 'int' ? { ...t, size: 8 } : int64;
      }
      case 'Ternary': {
        const c = this.expr(e.cond);
        if (!isInt(c)) this.error(`Invalid condition in ternary: ${typeName(c)}`, e.cond.loc);
        const a = this.expr(e.then);
        const b = this.expr(e.else);
        if (!sameShape(a, b)) {
          this.error(`Ternary operator must return the same type: have '${typeName(a)}' and '${typeName(b)}'`, e.loc);
          return a;
        }
        return widen(a, b);
      }
      case 'FieldAccess':
        return this.field(e);
      case 'TupleAccess': {
        const t = this.expr(e.tuple);
        if (t.k !== 'tuple') {
          this.error(`Can not access index '${e.index}' on expression of type '${typeName(t)}'`, e.loc);
          return none;
        }
        const elem = t.elems[e.index];
        if (!elem) {
          this.error(`Invalid tuple index: ${e.index}. Found ${t.elems.length} elements in tuple.`, e.loc);
          return none;
        }
        return elem;
      }
      case 'Index':
        this.expr(e.object);
        this.expr(e.index);
        this.error('Array indexing is not supported yet', e.loc);
        return none;
      case 'Cast': {
        const t = this.expr(e.operand);
        const ints: Record<string, SType> = {
          int8: { k: 'int', size: 1, signed: true }, uint8: { k: 'int', size: 1, signed: false },
          int16: { k: 'int', size: 2, signed: true }, uint16: { k: 'int', size: 2, signed: false },
          int32: { k: 'int', size: 4, signed: true }, uint32: { k: 'int', size: 4, signed: false },
          int64, uint64,
        };
        const target = ints[e.typeName];
        if (e.pointerDepth > 0 || !target) {
          this.error(`Cast to '${e.typeName}${'*'.repeat(e.pointerDepth)}' is not supported yet`, e.loc);
          return none;
        }
        if (!isInt(t)) this.error(`Cannot cast from '${typeName(t)}' to '${e.typeName}'`, e.loc);
        return target;
      }
      case 'Tuple': {
        const elems = e.elements.map((x) => this.expr(x));
        for (const [i, t] of elems.entries()) {
          if (t.k === 'none' || t.k === 'agg' || t.k === 'args') this.error(`Invalid tuple element type: ${typeName(t)}`, e.elements[i]!.loc);
        }
        return { k: 'tuple', elems: elems.map((t) => (t.k === 'int' ? { ...t, size: 8 as const } : t)) };
      }
      case 'StackMode':
        this.error('Unexpected expression here', e.loc);
        return none;
    }
  }

  private builtin(e: A.Builtin): SType {
    const p = this.probe;
    if (e.name === 'args') {
      if (p.attach.provider !== 'tracepoint') {
        const kind = p.attach.provider === 'BEGIN' || p.attach.provider === 'END' ? 'special' : p.attach.provider;
        this.error(`The args builtin can only be used with tracepoint/kfunc/uprobeprobes (${kind} used here)`, e.loc);
        return { k: 'args' };
      }
      return { k: 'args' };
    }
    if (e.name === 'probe') return str(Buffer.byteLength(p.name) + 1);
    if (e.name === 'retval') {
      if (p.attach.provider !== 'uretprobe') {
        const hint = p.attach.provider === 'tracepoint' ? ' (try to use args->ret instead)' : '';
        this.error(`The retval builtin can only be used with 'kretprobe' and 'uretprobe' and 'kfunc' probes${hint}`, e.loc);
      }
      return int64;
    }
    const m = argN.exec(e.name);
    if (m) {
      if (p.attach.provider !== 'uprobe') this.error(`The ${e.name} builtin can only be used with 'kprobes', 'uprobes' and 'usdt' probes`, e.loc);
      return uint64;
    }
    const t = builtinTypes[e.name];
    if (!t) {
      this.error(`Unknown builtin variable: '${e.name}'`, e.loc);
      return none;
    }
    return t;
  }

  private field(e: A.FieldAccess): SType {
    const obj = this.expr(e.object);
    if (obj.k === 'args' && this.probe.attach.provider !== 'tracepoint') return int64;
    if (obj.k === 'none') return none;
    if (obj.k !== 'args') {
      this.error(`Can not access field '${e.field}' on expression of type '${typeName(obj)}'`, e.loc);
      return none;
    }
    const tp = this.probe.tracepoint;
    const f = tp?.fields.find((x) => !x.common && x.name === e.field);
    if (!tp || !f) {
      const cat = this.probe.attach.provider === 'tracepoint' ? this.probe.attach : undefined;
      const name = cat ? `_tracepoint_${cat.category}_${cat.name}` : 'args';
      this.error(`Struct/union of type 'struct ${name}' does not contain a field named '${e.field}'`, e.loc);
      return none;
    }
    return fieldType(f, this.probe.attach);
  }

  private binary(e: A.Binary): SType {
    const l = this.expr(e.left);
    const r = this.expr(e.right);
    if ((e.op === '==' || e.op === '!=') && isStr(l) && isStr(r)) return int64;
    if (l.k === 'none' || r.k === 'none') return int64;
    if (!isInt(l) || !isInt(r)) {
      // bpftrace spans the whole expression, starting where its left operand's location starts.
      this.error(`Type mismatch for '${e.op}': comparing '${typeName(l)}' with '${typeName(r)}'`, { ...e.range, line: e.left.loc.line, column: e.left.loc.column, start: e.left.loc.start });
      return int64;
    }
    if (e.op === '&&' || e.op === '||') return int64;
    if (['==', '!=', '<', '<=', '>', '>='].includes(e.op)) return int64;
    const signed = (l.k === 'int' && l.signed) || (r.k === 'int' && r.signed);
    return { k: 'int', size: 8, signed };
  }

  private call(e: A.Call, statement: boolean): SType {
    if (!knownFunctions.has(e.name)) {
      this.error(`Unknown function: ${e.name}`, e.nameRange ? { ...e.loc, ...pickRange(e.nameRange) } : e.loc);
      return none;
    }
    const args = e.args;
    const n = args.length;
    switch (e.name) {
      case 'printf': {
        if (n === 0) {
          this.error('printf() requires at least 1 argument (0 provided)', e.loc);
          return none;
        }
        if (args[0]!.kind !== 'String') {
          this.error(`printf() expects a string literal (${typeWord(this.expr(args[0]!))} provided)`, e.loc);
          return none;
        }
        const tokens = printfTokens(args[0]!.value);
        const rest = args.slice(1).map((a) => this.expr(a));
        if (rest.length < tokens.length) {
          this.error(`printf: Not enough arguments for format string (${rest.length} supplied, ${tokens.length} expected)`, e.loc);
        } else if (rest.length > tokens.length) {
          this.error(`printf: Too many arguments for format string (${rest.length} supplied, ${tokens.length} expected)`, e.loc);
        }
        tokens.forEach((tok, i) => {
          const t = rest[i];
          if (!t || t.k === 'none') return;
          const wantsString = /s$/.test(tok);
          if (wantsString && !isStr(t)) this.error(`printf: %s specifier expects a value of type string (${typeWord(t)} supplied)`, e.loc);
          if (!wantsString && !/r|rx$/.test(tok) && !isInt(t)) {
            this.error(`printf: ${tok.replace(/^%-?[0-9.]*/, '%')} specifier expects a value of type integer (${typeWord(t)} supplied)`, e.loc);
          }
        });
        return none;
      }
      case 'print': {
        if (n === 0 || n > 3) {
          this.error(`print() requires at least one argument (${n} provided)`, e.loc);
          return none;
        }
        if (args[0]!.kind === 'Map') {
          const m = args[0] as A.MapRef;
          if (!this.maps.has(m.name)) this.error(`Undefined map: ${m.name}`, m.loc);
          for (const a of args.slice(1)) if (this.constantInt(a) === undefined) this.error('print() top and div must be integer literals', a.loc);
          return none;
        }
        if (n > 1) {
          this.error(`Non-map print() only takes 1 argument, ${n} found`, e.loc);
          return none;
        }
        this.expr(args[0]!);
        return none;
      }
      case 'str': {
        if (n === 0 || n > 2) {
          this.error(n === 0 ? 'str() requires at least 1 argument (0 provided)' : `str() takes up to 2 arguments (${n} provided)`, e.loc);
          return str(STRLEN);
        }
        const t = this.expr(args[0]!);
        if (!isInt(t) && !isStr(t)) this.error(`str() expects an integer or a pointer type as first argument (${typeName(t)} provided)`, e.loc);
        let size = STRLEN;
        if (n === 2) {
          const len = this.constantInt(args[1]!);
          this.expr(args[1]!);
          if (len !== undefined) size = Math.min(Math.max(len + 1, 1), STRLEN);
        }
        return str(size);
      }
      case 'time':
        if (n > 1) this.error(`time() takes up to one argument (${n} provided)`, e.loc);
        if (n === 1 && args[0]!.kind !== 'String') this.error('time() expects a string literal as argument', e.loc);
        return none;
      case 'exit':
        if (n > 0) this.error(`exit() requires no arguments (${n} provided)`, e.loc);
        return none;
      case 'delete': {
        if (n === 0) {
          this.error('delete() requires at least one argument (0 provided)', e.loc);
          return none;
        }
        const m = args[0]!;
        if (m.kind !== 'Map') {
          this.error('delete() expects a map to be provided', e.loc);
          return none;
        }
        if (n === 2) {
          // delete(@m, key) form (newer bpftrace): treat the second argument as the key.
          this.mapRead({ ...m, keys: [args[1]!] });
        } else {
          const decl = this.maps.get(m.name);
          if (!decl) this.error(`Undefined map: ${m.name}`, m.loc);
          else {
            const keys = this.mapKeys(m);
            if (keys) this.keysMatch(m, decl, keys);
          }
        }
        return none;
      }
      case 'clear':
      case 'zero': {
        if (n !== 1 || args[0]!.kind !== 'Map') {
          this.error(`${e.name}() expects a map to be provided`, e.loc);
          return none;
        }
        const m = args[0] as A.MapRef;
        if (!this.maps.has(m.name)) this.error(`Undefined map: ${m.name}`, m.loc);
        return none;
      }
      default:
        // Aggregations outside a map assignment.
        if (statement && e.name in aggregations) this.error(`${e.name}() should be directly assigned to a map`, e.loc);
        else if (e.name in aggregations) this.error(`${e.name}() should be directly assigned to a map`, e.loc);
        return none;
    }
  }
}

function pickRange(r: A.Range): Partial<A.Location> {
  return { line: r.line, column: r.column, endLine: r.endLine, endColumn: r.endColumn, start: r.start, end: r.end };
}

function typeWord(t: SType): string {
  if (isInt(t)) return 'integer';
  if (isStr(t)) return 'string';
  return typeName(t);
}

function keyTypeName(t: SType): string {
  // bpftrace 0.17 names every integer key type this way in its messages.
  if (t.k === 'int') return 'unsigned int64';
  return typeName(t);
}

/** The script type of a tracepoint field. */
export function fieldType(f: TracepointField, attach: AttachSpec): SType {
  if (f.arrayLength !== undefined && /char$/.test(f.type)) return str(f.arrayLength);
  if (f.pointer) return { k: 'ptr', user: attach.provider === 'tracepoint' && attach.category === 'syscalls' };
  if (f.dataLoc) return uint32;
  const size = ([1, 2, 4, 8] as const).find((s) => s === f.size) ?? 8;
  return { k: 'int', size, signed: f.signed };
}

/** Expands each probe's attach points into concrete probes. */
function expand(program: A.Program, resolver: Resolver, diagnostics: Diagnostic[]): ConcreteProbe[] {
  const out: ConcreteProbe[] = [];
  const make = (probe: A.Probe, ap: A.AttachPoint, attach: AttachSpec, name: string, tracepoint?: TracepointFormat) => {
    const p: ConcreteProbe = { probe, attachPoint: ap, attach, name, types: new Map(), variables: new Map() };
    if (tracepoint) p.tracepoint = tracepoint;
    out.push(p);
  };
  for (const probe of program.probes) {
    for (const ap of probe.attachPoints) {
      switch (ap.provider) {
        case 'BEGIN':
        case 'END':
          make(probe, ap, { provider: ap.provider }, ap.provider);
          break;
        case 'tracepoint': {
          const matches = resolver.tracepoints(ap.target ?? '', ap.func ?? '');
          if (matches.length === 0) {
            const plural = ap.wildcard ? 'tracepoints' : 'tracepoint';
            diagnostics.push({ severity: 'ERROR', message: `${plural} not found: ${ap.target}:${ap.func}`, loc: ap.loc });
            break;
          }
          for (const [category, name] of matches) {
            let format: TracepointFormat | undefined;
            try {
              format = resolver.format(category, name);
            } catch {
              diagnostics.push({ severity: 'ERROR', message: `tracepoint not found: ${category}:${name}`, loc: ap.loc });
              continue;
            }
            make(probe, ap, { provider: 'tracepoint', category, name }, `tracepoint:${category}:${name}`, format);
          }
          break;
        }
        case 'profile':
        case 'interval': {
          const unit = ap.unit ?? 'hz';
          const n = ap.freq ?? 0;
          const ns = unit === 's' ? n * 1e9 : unit === 'ms' ? n * 1e6 : unit === 'us' ? n * 1e3 : undefined;
          if (ap.provider === 'interval') {
            if (ns === undefined) diagnostics.push({ severity: 'ERROR', message: `${unit} is not an accepted unit for interval`, loc: ap.loc });
            else make(probe, ap, { provider: 'interval', periodNs: ns }, ap.name);
          } else {
            make(probe, ap, ns === undefined ? { provider: 'profile', frequencyHz: n } : { provider: 'profile', periodNs: ns }, ap.name);
          }
          break;
        }
        case 'software':
          make(probe, ap, { provider: 'software', event: ap.func ?? 'cpu-clock', period: ap.freq ?? 0 }, ap.name);
          break;
        case 'uprobe':
        case 'uretprobe':
          make(probe, ap, { provider: ap.provider, binary: ap.target ?? '', symbol: ap.func ?? '' }, ap.name);
          break;
        default:
          diagnostics.push({ severity: 'ERROR', message: `${ap.provider} probes are not supported by bpfkit trace yet`, loc: ap.loc });
      }
    }
  }
  return out;
}

export function analyze(program: A.Program, resolver: Resolver, positional: string[], filename = 'stdin'): Analysis {
  const diagnostics: Diagnostic[] = [];
  const probes = expand(program, resolver, diagnostics);
  const checker = new Checker(positional);
  // Pass 1 learns every map's type from its assignments wherever they are; pass 2 checks reads against them.
  for (const p of probes) checker.checkProbe(p);
  checker.final = true;
  for (const p of probes) checker.checkProbe(p);
  diagnostics.push(...checker.diagnostics);
  if (diagnostics.length > 0) throw new CompileError(diagnostics, filename);
  return { probes, maps: checker.maps, positional };
}
