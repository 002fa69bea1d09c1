// Drops instructions no path reaches (code after an unconditional jump or exit), which the verifier rejects.
// Works on label form (jumps name their target in `reference`), before offsets are resolved.
import type { Instruction } from './instruction.js';
import { Class, JmpOp, PseudoCall } from './opcodes.js';

function isJump(i: Instruction): boolean {
  const cls = i.opcode & 0x07;
  return cls === Class.JMP || cls === Class.JMP32;
}

export function dropUnreachable(insns: readonly Instruction[]): Instruction[] {
  const at = new Map<string, number>();
  insns.forEach((i, n) => {
    if (i.symbol !== undefined) at.set(i.symbol, n);
  });
  const reached = new Uint8Array(insns.length);
  const work = [0];
  // Entry points of BPF-to-BPF functions are reached through calls.
  for (const i of insns) {
    if (isJump(i) && (i.opcode & 0xf0) === JmpOp.CALL && i.src === PseudoCall.LOCAL && i.reference !== undefined) {
      const t = at.get(i.reference);
      if (t !== undefined) work.push(t);
    }
  }
  while (work.length > 0) {
    const n = work.pop()!;
    if (n >= insns.length || reached[n]) continue;
    reached[n] = 1;
    const i = insns[n]!;
    if (!isJump(i)) {
      work.push(n + 1);
      continue;
    }
    const op = i.opcode & 0xf0;
    if (op === JmpOp.EXIT) continue;
    if (op === JmpOp.CALL) {
      work.push(n + 1);
      continue;
    }
    const target = i.reference !== undefined ? at.get(i.reference) : n + 1 + i.offset;
    if (target !== undefined) work.push(target);
    if (op !== JmpOp.JA) work.push(n + 1);
  }
  return insns.filter((_, n) => reached[n]);
}
