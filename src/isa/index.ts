// The instruction set layer: pure code (no I/O) for making, reading and checking eBPF bytecode.
export * from './instruction.js';
export { Class, Size, Mode, Source, AluOp, JmpOp, AtomicOp, PseudoLoad, PseudoCall, classOf, isWide } from './opcodes.js';
export * from './builder.js';
export * from './helpers.js';
export * from './disasm.js';
export * from './asm.js';
export * from './validate.js';
