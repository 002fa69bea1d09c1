// One probe (one concrete attach point) → one eBPF program. Integers live in stack slots, strings and tuples in
// the scratch buffer (R9), the context in R6. Every helper call clobbers R0–R5, so values cross calls in memory.
import type * as A from '../ast.js';
import type { CompiledFormat } from '../compiled.js';
import { ConstSlot } from '../compiled.js';
import { program as newBuilder, R0, R1, R2, R3, R4, R5, R6, R9, R10, type ProgramBuilder, type Register, type JumpName } from '../../isa/builder.js';
import { Helper } from '../../isa/helpers.js';
import type { Instruction } from '../../isa/instruction.js';
import { PtRegs, argOffset } from '../../kernel/attach/uprobe.js';
import type { ConcreteProbe, MapDecl } from '../semantic.js';
import { fieldType } from '../semantic.js';
import { align8, isInt, isStr, storageSize, valueTypeOf, type SType } from '../types.js';
import { emitLinearBucket, emitLog2Bucket } from './buckets.js';
import { Frame } from './frame.js';

/** Where a value is: an immediate, an 8-byte stack slot, or a region of the scratch buffer. */
type Val =
  | { k: 'imm'; v: bigint }
  | { k: 'slot'; off: number }
  | { k: 'mem'; off: number; size: number };

/** Shared between the probes of one script: map names, the format table, names of the service maps. */
export interface ScriptContext {
  mapName(scriptName: string): string;
  decl(scriptName: string): MapDecl;
  addFormat(f: Omit<CompiledFormat, 'id'>): number;
  eventsMap: string;
  scratchMap: string;
  constsMap: string;
  lostMap: string;
  positional: string[];
  usesConsts: boolean;
  /** The script text and its name, to quote source lines in verifier errors. */
  source?: string;
  filename?: string;
}

const comparison: Record<string, { u: JumpName; s: JumpName }> = {
  '==': { u: 'jeq', s: 'jeq' }, '!=': { u: 'jne', s: 'jne' }, '<': { u: 'jlt', s: 'jslt' }, '<=': { u: 'jle', s: 'jsle' },
  '>': { u: 'jgt', s: 'jsgt' }, '>=': { u: 'jge', s: 'jsge' },
};

const fitsImm = (v: bigint): boolean => v >= -0x80000000n && v <= 0x7fffffffn;

export class ProbeCodegen {
  readonly b: ProgramBuilder = newBuilder();
  readonly frame = new Frame();
  private labelCount = 0;
  private readonly vars = new Map<string, Val>();
  private readonly loops: Array<{ top: string; end: string }> = [];
  private readonly exitLabel = 'probe_exit';
  /** Whether the body reads the context (R6); the prologue saves it only then. */
  private usesContext = false;

  constructor(private readonly probe: ConcreteProbe, private readonly ctx: ScriptContext) {}

  generate(): Instruction[] {
    const b = this.b;
    // Variables live for the whole probe: allocate and zero them before any statement's temporaries.
    for (const [name, t] of this.probe.variables) {
      const loc: Val = isInt(t) ? { k: 'slot', off: this.frame.slot() } : { k: 'mem', off: this.frame.mem(storageSize(t)), size: storageSize(t) };
      this.vars.set(name, loc);
      this.storeTo(loc, { k: 'imm', v: 0n });
    }
    const p = this.probe.probe;
    if (p.predicate) {
      const m = this.frame.mark();
      this.at(p.predicate);
      const v = this.scalar(p.predicate.expr);
      this.load(v, R1);
      b.jeq(R1, 0, this.exitLabel);
      this.frame.release(m);
    }
    this.block(p.block);
    b.label(this.exitLabel).label('probe_stopped').mov(R0, 0).exit();
    b.prepend(this.prologue());
    return b.build({ dropUnreachable: true });
  }

  /**
   * Runs before the body: a stopping script's probes return at once (see ConstSlot.Stopped); R6 keeps the
   * context; R9 gets this CPU's scratch buffer, only when the body needed one.
   */
  private prologue(): Instruction[] {
    const p = newBuilder();
    const provider = this.probe.attach.provider;
    if (provider !== 'BEGIN' && provider !== 'END') {
      p.loadMapValue(R2, this.ctx.constsMap, ConstSlot.Stopped * 8).ldx('dw', R2, R2, 0).jne(R2, 0, 'probe_stopped');
    }
    if (this.usesContext) p.mov(R6, R1);
    if (this.frame.scratchUsed > 0) {
      const keySlot = this.frame.slot();
      p.st('w', R10, keySlot, 0).mov(R2, R10).add(R2, keySlot).loadMap(R1, this.ctx.scratchMap)
        .call(Helper.map_lookup_elem).jne(R0, 0, 'have_scratch').ja('probe_stopped').label('have_scratch').mov(R9, R0);
    }
    return p.instructions();
  }

  /** R9 for scratch-buffer offsets, R10 for stack ones (see Frame.mem). */
  private base(off: number): Register {
    return off < 0 ? R10 : R9;
  }

  get scratchSize(): number {
    return this.frame.scratchUsed;
  }

  private label(prefix: string): string {
    return `${prefix}_${this.labelCount++}`;
  }

  /** Tags the next instructions with the node's source range, for verifier errors. */
  private at(node: { range: A.Range }): void {
    const r = node.range;
    const text = this.ctx.source ? Buffer.from(this.ctx.source, 'utf8').subarray(r.start, r.end).toString('utf8').split('\n')[0] : undefined;
    this.b.at({ line: r.line, column: r.column, ...(text ? { text } : {}), ...(this.ctx.filename ? { file: this.ctx.filename } : {}) });
  }

  private type(e: A.Expression): SType {
    const t = this.probe.types.get(e);
    if (!t) throw new Error(`internal: expression at ${e.loc.line}:${e.loc.column} has no type`);
    return t;
  }

  // ---------- statements ----------

  private block(block: A.Block): void {
    for (const s of block.statements) {
      const m = this.frame.mark();
      this.at(s);
      this.statement(s);
      this.frame.release(m);
    }
  }

  private statement(s: A.Statement): void {
    const b = this.b;
    switch (s.kind) {
      case 'ExprStatement':
        if (s.expr.kind === 'Call') this.callStatement(s.expr);
        else this.value(s.expr);
        return;
      case 'Assignment':
        this.assignment(s);
        return;
      case 'If': {
        const elseLabel = this.label('else');
        const end = this.label('endif');
        const c = this.scalar(s.cond);
        this.load(c, R1);
        b.jeq(R1, 0, elseLabel);
        this.block(s.then);
        // Labels attach to whatever instruction comes next (the epilogue at the latest).
        if (s.else) {
          b.ja(end).label(elseLabel);
          this.block(s.else);
        } else {
          b.label(elseLabel);
        }
        b.label(end);
        return;
      }
      case 'Unroll': {
        const n = s.count.kind === 'Integer' ? Number(s.count.value) : Number(this.ctx.positional[s.count.index - 1] ?? 0);
        for (let i = 0; i < Math.min(Math.max(n, 0), 100); i++) this.block(s.body);
        return;
      }
      case 'While': {
        const top = this.label('while');
        const end = this.label('endwhile');
        b.label(top);
        const c = this.scalar(s.cond);
        this.load(c, R1);
        b.jeq(R1, 0, end);
        this.loops.push({ top, end });
        this.block(s.body);
        this.loops.pop();
        b.ja(top).label(end);
        return;
      }
      case 'Jump': {
        if (s.jump === 'return') {
          b.ja(this.exitLabel);
          return;
        }
        const loop = this.loops[this.loops.length - 1];
        if (!loop) throw new Error(`${s.jump} outside a loop`);
        b.ja(s.jump === 'break' ? loop.end : loop.top);
        return;
      }
    }
  }

  private assignment(s: A.Assignment): void {
    const target = s.target;
    if (s.value.kind === 'Call' && s.value.name in aggregationArgs && target.kind === 'Map') {
      this.aggregate(target, s.value);
      return;
    }
    let value: Val;
    if (s.op !== '=') {
      const current = target.kind === 'Variable' ? this.variable(target) : this.mapRead(target);
      const rhs = this.scalar(s.value);
      value = this.arith(s.op.slice(0, -1) as A.BinaryOperator, current, rhs, true);
    } else {
      value = this.value(s.value);
    }
    if (target.kind === 'Variable') this.storeVariable(target, value);
    else this.mapWrite(target, value, s.op === '=' ? this.type(s.value) : { k: 'int', size: 8, signed: true });
  }

  private storeVariable(v: A.Variable, value: Val): void {
    this.storeTo(this.variable(v), value);
  }

  private callStatement(call: A.Call): void {
    const b = this.b;
    switch (call.name) {
      case 'printf': {
        const format = (call.args[0] as A.StringLiteral).value;
        this.emitRecord('printf', format, call.args.slice(1));
        return;
      }
      case 'print': {
        const arg = call.args[0]!;
        if (arg.kind === 'Map') {
          const top = call.args[1] ? Number(constValue(call.args[1], this.ctx.positional)) : undefined;
          const div = call.args[2] ? Number(constValue(call.args[2], this.ctx.positional)) : undefined;
          this.emitRecord('print', '', [], { map: arg.name, ...(top !== undefined ? { top } : {}), ...(div !== undefined ? { div } : {}) });
        } else {
          this.emitRecord('print', '', [arg]);
        }
        return;
      }
      case 'time': {
        const format = call.args[0] ? (call.args[0] as A.StringLiteral).value : '%H:%M:%S\n';
        this.emitRecord('time', format, []);
        return;
      }
      case 'exit':
        this.emitRecord('exit', '', []);
        b.ja(this.exitLabel);
        return;
      case 'clear':
      case 'zero':
        this.emitRecord(call.name, '', [], { map: (call.args[0] as A.MapRef).name });
        return;
      case 'delete': {
        const m = call.args[0] as A.MapRef;
        const keys = call.args.length === 2 ? [call.args[1]!] : m.keys;
        const key = this.buildKey(m.name, keys);
        b.loadMap(R1, this.ctx.mapName(m.name)).mov(R2, this.base(key.off)).add(R2, key.off).call(Helper.map_delete_elem);
        return;
      }
      default:
        this.value(call);
    }
  }

  /** Sends one record (format id + arguments) through the events ring buffer; counts it as lost if full. */
  private emitRecord(kind: CompiledFormat['kind'], format: string, args: A.Expression[], extra: Partial<CompiledFormat> = {}): void {
    const b = this.b;
    const vals = args.map((a) => ({ v: this.value(a), t: this.type(a) }));
    let size = 8;
    const layout = vals.map(({ t }) => {
      const offset = size;
      size += storageSize(t);
      return { type: valueTypeOf(t), offset };
    });
    const id = this.ctx.addFormat({ kind, format, args: layout, ...extra });
    const rec = this.frame.mem(size);
    b.st('dw', this.base(rec), rec, id);
    vals.forEach(({ v, t }, i) => this.storeTo({ k: 'mem', off: rec + layout[i]!.offset, size: storageSize(t) }, v));
    const sent = this.label('sent');
    b.loadMap(R1, this.ctx.eventsMap).mov(R2, this.base(rec)).add(R2, rec).mov(R3, size).mov(R4, 0).call(Helper.ringbuf_output)
      .jeq(R0, 0, sent).loadMapValue(R1, this.ctx.lostMap, 0).mov(R2, 1).atomic('dw', 'add', R1, 0, R2)
      .label(sent);
  }

  // ---------- maps ----------

  /** Builds a map key in scratch memory: each key argument at its storage offset; no keys → one u64 0. */
  private buildKey(mapName: string, keys: A.Expression[], bucketSpace = false): { off: number; size: number } {
    const decl = this.ctx.decl(mapName);
    const keySize = decl.keys.length === 0 ? 8 : decl.keys.reduce((n, t) => n + storageSize(t), 0);
    const total = keySize + (bucketSpace ? 8 : 0);
    const vals = keys.map((k) => this.value(k));
    // One string or tuple key of exactly the key's size is its own key: no copy.
    const only = vals[0];
    if (!bucketSpace && vals.length === 1 && only?.k === 'mem' && only.size === keySize) return { off: only.off, size: keySize };
    const off = this.frame.mem(total);
    if (decl.keys.length === 0) {
      this.b.st('dw', this.base(off), off, 0);
    } else {
      let at = off;
      decl.keys.forEach((t, i) => {
        this.storeTo({ k: 'mem', off: at, size: storageSize(t) }, vals[i]!);
        at += storageSize(t);
      });
    }
    return { off, size: keySize };
  }

  private mapRead(m: A.MapRef): Val {
    const b = this.b;
    const decl = this.ctx.decl(m.name);
    const key = this.buildKey(m.name, m.keys);
    const t = decl.kind === 'value' ? decl.value : ({ k: 'int', size: 8, signed: true } as SType);
    const missing = this.label('miss');
    const done = this.label('read');
    b.loadMap(R1, this.ctx.mapName(m.name)).mov(R2, this.base(key.off)).add(R2, key.off).call(Helper.map_lookup_elem);
    if (isInt(t)) {
      const out = this.frame.slot();
      b.jeq(R0, 0, missing).ldx('dw', R1, R0, 0).stx('dw', R10, out, R1).ja(done)
        .label(missing).st('dw', R10, out, 0).label(done);
      return { k: 'slot', off: out };
    }
    const size = storageSize(t);
    const out = this.frame.mem(size);
    b.jeq(R0, 0, missing);
    for (let i = 0; i < size; i += 8) b.ldx('dw', R1, R0, i).stx('dw', this.base(out + i), out + i, R1);
    b.ja(done).label(missing);
    for (let i = 0; i < size; i += 8) b.st('dw', this.base(out + i), out + i, 0);
    b.label(done);
    return { k: 'mem', off: out, size };
  }

  private mapWrite(m: A.MapRef, value: Val, _t: SType): void {
    const b = this.b;
    const decl = this.ctx.decl(m.name);
    const size = storageSize(decl.value);
    const valOff = this.frame.mem(size);
    this.storeTo({ k: 'mem', off: valOff, size }, value);
    const key = this.buildKey(m.name, m.keys);
    b.loadMap(R1, this.ctx.mapName(m.name)).mov(R2, this.base(key.off)).add(R2, key.off).mov(R3, this.base(valOff)).add(R3, valOff).mov(R4, 0)
      .call(Helper.map_update_elem);
  }

  private aggregate(m: A.MapRef, call: A.Call): void {
    const b = this.b;
    const decl = this.ctx.decl(m.name);
    const fn = call.name;
    const arg = call.args[0] ? this.scalar(call.args[0]) : { k: 'imm', v: 1n } as Val;
    const isHist = fn === 'hist' || fn === 'lhist';
    const key = this.buildKey(m.name, m.keys, isHist);
    if (isHist) {
      this.load(arg, R1);
      if (fn === 'hist') emitLog2Bucket(b, R1, R2, R3);
      else emitLinearBucket(b, R1, R3, decl.lhist!.min, decl.lhist!.max, decl.lhist!.step);
      b.stx('dw', this.base(key.off + key.size), key.off + key.size, R3);
    }
    const valueSize = fn === 'min' || fn === 'max' || fn === 'avg' || fn === 'stats' ? 16 : 8;
    const init = this.frame.mem(valueSize);
    // count/hist/lhist only add one: their argument needs no slot.
    const usesArg = !['count', 'hist', 'lhist'].includes(fn);
    const argSlot = usesArg ? this.spill(arg) : 0;
    const missing = this.label('agg_new');
    const done = this.label('agg_done');
    b.loadMap(R1, this.ctx.mapName(m.name)).mov(R2, this.base(key.off)).add(R2, key.off).call(Helper.map_lookup_elem);
    b.jeq(R0, 0, missing);
    // Existing entry (this CPU's copy): update in place.
    if (usesArg) b.ldx('dw', R1, R10, argSlot);
    switch (fn) {
      case 'count':
      case 'hist':
      case 'lhist':
        b.ldx('dw', R2, R0, 0).add(R2, 1).stx('dw', R0, 0, R2);
        break;
      case 'sum':
        b.ldx('dw', R2, R0, 0).add(R2, R1).stx('dw', R0, 0, R2);
        break;
      case 'min':
      case 'max': {
        const keep = this.label('keep');
        b.ldx('dw', R2, R0, 0).jmp(fn === 'min' ? 'jsge' : 'jsle', R1, R2, keep).stx('dw', R0, 0, R1).label(keep)
          .st('dw', R0, 8, 1);
        break;
      }
      case 'avg':
      case 'stats':
        b.ldx('dw', R2, R0, 0).add(R2, 1).stx('dw', R0, 0, R2).ldx('dw', R2, R0, 8).add(R2, R1).stx('dw', R0, 8, R2);
        break;
    }
    b.ja(done).label(missing);
    // New entry: write the first value and insert it.
    if (usesArg) b.ldx('dw', R1, R10, argSlot);
    switch (fn) {
      case 'count':
      case 'hist':
      case 'lhist':
        b.st('dw', this.base(init), init, 1);
        break;
      case 'sum':
        b.stx('dw', this.base(init), init, R1);
        break;
      case 'min':
      case 'max':
        b.stx('dw', this.base(init), init, R1).st('dw', this.base(init + 8), init + 8, 1);
        break;
      case 'avg':
      case 'stats':
        b.st('dw', this.base(init), init, 1).stx('dw', this.base(init + 8), init + 8, R1);
        break;
    }
    b.loadMap(R1, this.ctx.mapName(m.name)).mov(R2, this.base(key.off)).add(R2, key.off).mov(R3, this.base(init)).add(R3, init).mov(R4, 0)
      .call(Helper.map_update_elem).label(done);
  }

  // ---------- expressions ----------

  /** An expression's value as an integer (immediate or stack slot). */
  private scalar(e: A.Expression): Val {
    const v = this.value(e);
    if (v.k === 'mem') throw new Error(`internal: expected an integer at ${e.loc.line}:${e.loc.column}`);
    return v;
  }

  private value(e: A.Expression): Val {
    const b = this.b;
    switch (e.kind) {
      case 'Integer':
        return { k: 'imm', v: e.value };
      case 'String':
        return this.stringConstant(e.value);
      case 'PositionalParam': {
        if (e.count) return { k: 'imm', v: BigInt(this.ctx.positional.length) };
        const raw = this.ctx.positional[e.index - 1];
        const t = this.type(e);
        if (isStr(t)) return this.stringConstant(raw ?? '');
        return { k: 'imm', v: raw === undefined ? 0n : BigInt(raw) };
      }
      case 'Builtin':
        return this.builtin(e);
      case 'Variable':
        return this.variable(e);
      case 'Map':
        return this.mapRead(e);
      case 'Call':
        if (e.name === 'str') return this.str(e);
        this.callStatement(e);
        return { k: 'imm', v: 0n };
      case 'Binary':
        return this.binary(e);
      case 'Unary':
        return this.unary(e);
      case 'Ternary': {
        const t = this.type(e);
        const c = this.scalar(e.cond);
        const elseLabel = this.label('telse');
        const end = this.label('tend');
        const out: Val = isInt(t) ? { k: 'slot', off: this.frame.slot() } : { k: 'mem', off: this.frame.mem(storageSize(t)), size: storageSize(t) };
        this.load(c, R1);
        b.jeq(R1, 0, elseLabel);
        this.storeTo(out, this.value(e.then));
        b.ja(end).label(elseLabel);
        this.storeTo(out, this.value(e.else));
        b.label(end);
        return out;
      }
      case 'FieldAccess':
        return this.argsField(e);
      case 'TupleAccess': {
        const tuple = this.value(e.tuple) as Extract<Val, { k: 'mem' }>;
        const tt = this.type(e.tuple) as Extract<SType, { k: 'tuple' }>;
        let off = 0;
        for (let i = 0; i < e.index; i++) off += storageSize(tt.elems[i]!);
        const elem = tt.elems[e.index]!;
        if (isInt(elem)) {
          const out = this.frame.slot();
          b.ldx('dw', R1, this.base(tuple.off + off), tuple.off + off).stx('dw', R10, out, R1);
          return { k: 'slot', off: out };
        }
        return { k: 'mem', off: tuple.off + off, size: storageSize(elem) };
      }
      case 'Cast': {
        const v = this.scalar(e.operand);
        const t = this.type(e) as Extract<SType, { k: 'int' }>;
        this.load(v, R1);
        if (t.size < 8) {
          const shift = 64 - t.size * 8;
          b.lsh(R1, shift);
          if (t.signed) b.arsh(R1, shift);
          else b.rsh(R1, shift);
        }
        return this.spillReg(R1);
      }
      case 'Tuple': {
        const t = this.type(e) as Extract<SType, { k: 'tuple' }>;
        const size = storageSize(t);
        const vals = e.elements.map((x) => this.value(x));
        const out = this.frame.mem(size);
        let at = out;
        t.elems.forEach((et, i) => {
          this.storeTo({ k: 'mem', off: at, size: storageSize(et) }, vals[i]!);
          at += storageSize(et);
        });
        return { k: 'mem', off: out, size };
      }
      default:
        throw new Error(`internal: cannot generate code for ${e.kind}`);
    }
  }

  private variable(v: A.Variable): Val {
    const loc = this.vars.get(v.name);
    if (!loc) throw new Error(`internal: variable ${v.name} has no storage`);
    return loc;
  }

  private builtin(e: A.Builtin): Val {
    const b = this.b;
    const name = e.name;
    switch (name) {
      case 'pid':
        b.call(Helper.get_current_pid_tgid).rsh(R0, 32);
        return this.spillReg(R0);
      case 'tid':
        b.call(Helper.get_current_pid_tgid).mov32(R0, R0);
        return this.spillReg(R0);
      case 'uid':
        b.call(Helper.get_current_uid_gid).mov32(R0, R0);
        return this.spillReg(R0);
      case 'gid':
        b.call(Helper.get_current_uid_gid).rsh(R0, 32);
        return this.spillReg(R0);
      case 'nsecs':
        b.call(Helper.ktime_get_ns);
        return this.spillReg(R0);
      case 'elapsed':
        this.ctx.usesConsts = true;
        b.call(Helper.ktime_get_ns).loadMapValue(R1, this.ctx.constsMap, ConstSlot.StartNs * 8).ldx('dw', R1, R1, 0).sub(R0, R1);
        return this.spillReg(R0);
      case 'cpu':
        b.call(Helper.get_smp_processor_id);
        return this.spillReg(R0);
      case 'cgroup':
        b.call(Helper.get_current_cgroup_id);
        return this.spillReg(R0);
      case 'rand':
        b.call(Helper.get_prandom_u32);
        return this.spillReg(R0);
      case 'curtask':
        b.call(Helper.get_current_task);
        return this.spillReg(R0);
      case 'comm': {
        const out = this.frame.mem(16);
        b.mov(R1, this.base(out)).add(R1, out).mov(R2, 16).call(Helper.get_current_comm);
        return { k: 'mem', off: out, size: 16 };
      }
      case 'probe':
        return this.stringConstant(this.probe.name);
      case 'retval':
        this.usesContext = true;
        b.ldx('dw', R0, R6, PtRegs.rax);
        return this.spillReg(R0);
      default: {
        const m = /^arg(\d)$/.exec(name);
        if (m) {
          this.usesContext = true;
          b.ldx('dw', R0, R6, argOffset(Number(m[1])));
          return this.spillReg(R0);
        }
        throw new Error(`internal: builtin ${name} has no code generator`);
      }
    }
  }

  private argsField(e: A.FieldAccess): Val {
    const b = this.b;
    this.usesContext = true;
    const f = this.probe.tracepoint!.fields.find((x) => !x.common && x.name === e.field)!;
    const t = fieldType(f, this.probe.attach);
    if (t.k === 'str') {
      const size = align8(t.size);
      const out = this.frame.mem(size);
      b.st('dw', this.base(out + size - 8), out + size - 8, 0);
      b.mov(R1, this.base(out)).add(R1, out).mov(R2, f.arrayLength ?? f.size).mov(R3, R6).add(R3, f.offset).call(Helper.probe_read_kernel);
      return { k: 'mem', off: out, size };
    }
    const size = f.size === 1 ? 'b' : f.size === 2 ? 'h' : f.size === 4 ? 'w' : 'dw';
    b.ldx(size, R0, R6, f.offset);
    if (t.k === 'int' && t.signed && t.size < 8) {
      const shift = 64 - t.size * 8;
      b.lsh(R0, shift).arsh(R0, shift);
    }
    return this.spillReg(R0);
  }

  private str(call: A.Call): Val {
    const b = this.b;
    const t = this.type(call) as Extract<SType, { k: 'str' }>;
    const size = align8(t.size);
    const src = call.args[0]!;
    const st = this.type(src);
    if (isStr(st)) {
      const v = this.value(src);
      const out = this.frame.mem(size);
      this.storeTo({ k: 'mem', off: out, size }, v);
      return { k: 'mem', off: out, size };
    }
    const ptr = this.scalar(src);
    const out = this.frame.mem(size);
    for (let i = 0; i < size; i += 8) b.st('dw', this.base(out + i), out + i, 0);
    const user = st.k === 'ptr' ? st.user : this.probe.attach.provider === 'uprobe' || this.probe.attach.provider === 'uretprobe';
    this.load(ptr, R3);
    b.mov(R1, this.base(out)).add(R1, out).mov(R2, t.size).call(user ? Helper.probe_read_user_str : Helper.probe_read_kernel_str);
    return { k: 'mem', off: out, size };
  }

  private binary(e: A.Binary): Val {
    const b = this.b;
    const lt = this.type(e.left);
    const rt = this.type(e.right);
    if ((e.op === '==' || e.op === '!=') && isStr(lt) && isStr(rt)) return this.stringCompare(e);
    if (e.op === '&&' || e.op === '||') {
      const out = this.frame.slot();
      const short = this.label('short');
      const end = this.label('logic');
      const l = this.scalar(e.left);
      this.load(l, R1);
      if (e.op === '&&') b.jeq(R1, 0, short);
      else b.jne(R1, 0, short);
      const r = this.scalar(e.right);
      this.load(r, R1);
      b.mov(R0, 0).jeq(R1, 0, end).mov(R0, 1).ja(end);
      b.label(short).mov(R0, e.op === '&&' ? 0 : 1);
      b.label(end).stx('dw', R10, out, R0);
      return { k: 'slot', off: out };
    }
    const l = this.scalar(e.left);
    const r = this.scalar(e.right);
    const signed = (lt.k === 'int' && lt.signed) || (rt.k === 'int' && rt.signed);
    const cmp = comparison[e.op];
    if (cmp) {
      const yes = this.label('yes');
      const end = this.label('cmp');
      this.load(l, R1);
      const op = signed ? cmp.s : cmp.u;
      if (r.k === 'imm' && fitsImm(r.v)) b.jmp(op, R1, Number(r.v), yes);
      else {
        this.load(r, R2);
        b.jmp(op, R1, R2, yes);
      }
      b.mov(R0, 0).ja(end).label(yes).mov(R0, 1).label(end);
      return this.spillReg(R0);
    }
    return this.arith(e.op, l, r, signed);
  }

  private arith(op: A.BinaryOperator, l: Val, r: Val, signed: boolean): Val {
    const b = this.b;
    if (l.k === 'imm' && r.k === 'imm') {
      const folded = foldConstant(op, l.v, r.v);
      if (folded !== undefined) return { k: 'imm', v: folded };
    }
    const alu: Record<string, 'ADD' | 'SUB' | 'MUL' | 'DIV' | 'MOD' | 'AND' | 'OR' | 'XOR' | 'LSH' | 'RSH' | 'ARSH'> = {
      '+': 'ADD', '-': 'SUB', '*': 'MUL', '/': 'DIV', '%': 'MOD', '&': 'AND', '|': 'OR', '^': 'XOR', '<<': 'LSH',
      '>>': signed ? 'ARSH' : 'RSH',
    };
    const name = alu[op];
    if (!name) throw new Error(`internal: operator ${op} is not arithmetic`);
    this.load(l, R1);
    if (r.k === 'imm' && fitsImm(r.v)) b.alu64(name, R1, Number(r.v));
    else {
      this.load(r, R2);
      b.alu64(name, R1, R2);
    }
    return this.spillReg(R1);
  }

  private unary(e: A.Unary): Val {
    const b = this.b;
    if (e.op === '++' || e.op === '--') {
      const target = e.operand as A.Variable | A.MapRef;
      const before = target.kind === 'Variable' ? this.variable(target) : this.mapRead(target);
      const oldSlot = this.spill(before);
      b.ldx('dw', R1, R10, oldSlot).add(R1, e.op === '++' ? 1 : -1);
      const after = this.spillReg(R1);
      if (target.kind === 'Variable') this.storeVariable(target, after);
      else this.mapWrite(target, after, { k: 'int', size: 8, signed: true });
      return e.postfix ? { k: 'slot', off: oldSlot } : after;
    }
    const v = this.scalar(e.operand);
    if (v.k === 'imm') {
      if (e.op === '-') return { k: 'imm', v: -v.v };
      if (e.op === '~') return { k: 'imm', v: ~v.v };
      if (e.op === '!') return { k: 'imm', v: v.v === 0n ? 1n : 0n };
    }
    this.load(v, R1);
    if (e.op === '-') b.neg(R1);
    else if (e.op === '~') b.xor(R1, -1);
    else if (e.op === '!') {
      const z = this.label('not');
      b.mov(R0, 1).jeq(R1, 0, z).mov(R0, 0).label(z).mov(R1, R0);
    }
    return this.spillReg(R1);
  }

  /** String equality: byte by byte up to the shorter buffer, stopping at a shared NUL. */
  private stringCompare(e: A.Binary): Val {
    const b = this.b;
    const l = this.value(e.left) as Extract<Val, { k: 'mem' }>;
    const r = this.value(e.right) as Extract<Val, { k: 'mem' }>;
    const lt = this.type(e.left) as Extract<SType, { k: 'str' }>;
    const rt = this.type(e.right) as Extract<SType, { k: 'str' }>;
    const n = Math.min(lt.size, rt.size);
    const differ = this.label('sdiff');
    const same = this.label('ssame');
    const end = this.label('scmp');
    for (let i = 0; i < n; i++) {
      b.ldx('b', R1, this.base(l.off + i), l.off + i).ldx('b', R2, this.base(r.off + i), r.off + i).jne(R1, R2, differ).jeq(R1, 0, same);
    }
    b.ja(same);
    b.label(differ).mov(R0, e.op === '==' ? 0 : 1).ja(end);
    b.label(same).mov(R0, e.op === '==' ? 1 : 0);
    b.label(end);
    return this.spillReg(R0);
  }

  // ---------- moving values ----------

  private stringConstant(s: string): Val {
    const bytes = Buffer.from(s + '\0', 'utf8');
    const size = align8(bytes.length);
    const off = this.frame.mem(size);
    const padded = new Uint8Array(size);
    padded.set(bytes);
    const view = new DataView(padded.buffer);
    for (let i = 0; i < size; i += 4) this.b.st('w', this.base(off + i), off + i, view.getInt32(i, true));
    return { k: 'mem', off, size };
  }

  /** Loads an integer value into a register. */
  private load(v: Val, reg: Register): void {
    if (v.k === 'imm') {
      if (fitsImm(v.v)) this.b.mov(reg, Number(v.v));
      else this.b.lddw(reg, v.v);
    } else if (v.k === 'slot') this.b.ldx('dw', reg, R10, v.off);
    else throw new Error('internal: cannot load a memory value into a register');
  }

  private spillReg(reg: Register): Val {
    const off = this.frame.slot();
    this.b.stx('dw', R10, off, reg);
    return { k: 'slot', off };
  }

  /** Ensures an integer is in a stack slot; returns the slot offset. */
  private spill(v: Val): number {
    if (v.k === 'slot') return v.off;
    this.load(v, R1);
    return (this.spillReg(R1) as { off: number }).off;
  }

  /** Writes v into a destination (slot or scratch memory of the destination's size, zero-padded). */
  private storeTo(dst: Val, v: Val): void {
    const b = this.b;
    if (dst.k === 'slot') {
      this.load(v, R1);
      b.stx('dw', R10, dst.off, R1);
      return;
    }
    if (dst.k !== 'mem') throw new Error('internal: cannot store into an immediate');
    if (v.k !== 'mem') {
      this.load(v, R1);
      b.stx('dw', this.base(dst.off), dst.off, R1);
      for (let i = 8; i < dst.size; i += 8) b.st('dw', this.base(dst.off + i), dst.off + i, 0);
      return;
    }
    if (v.off === dst.off) return;
    const n = Math.min(v.size, dst.size);
    for (let i = 0; i < n; i += 8) b.ldx('dw', R1, this.base(v.off + i), v.off + i).stx('dw', this.base(dst.off + i), dst.off + i, R1);
    for (let i = n; i < dst.size; i += 8) b.st('dw', this.base(dst.off + i), dst.off + i, 0);
  }
}

const aggregationArgs: Record<string, true> = {
  count: true, sum: true, min: true, max: true, avg: true, stats: true, hist: true, lhist: true,
};

function constValue(e: A.Expression, positional: string[]): bigint {
  if (e.kind === 'Integer') return e.value;
  if (e.kind === 'PositionalParam') return BigInt(positional[e.index - 1] ?? 0);
  if (e.kind === 'Unary' && e.op === '-') return -constValue(e.operand, positional);
  return 0n;
}

function foldConstant(op: A.BinaryOperator, a: bigint, b: bigint): bigint | undefined {
  const wrap = (v: bigint) => BigInt.asIntN(64, v);
  switch (op) {
    case '+': return wrap(a + b);
    case '-': return wrap(a - b);
    case '*': return wrap(a * b);
    case '/': return b === 0n ? 0n : wrap(BigInt.asUintN(64, a) / BigInt.asUintN(64, b));
    case '%': return b === 0n ? 0n : wrap(BigInt.asUintN(64, a) % BigInt.asUintN(64, b));
    case '&': return a & b;
    case '|': return a | b;
    case '^': return a ^ b;
    case '<<': return wrap(a << (b & 63n));
    default: return undefined;
  }
}

void R4;
void R5;
