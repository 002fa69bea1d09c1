// bpfkit's public API.
export * from './sys/constants.js';
export * from './sys/errors.js';
export { Errno, errnoName } from './sys/errno.js';
export * from './isa/instruction.js';
export { Class, Size, Mode, Source, AluOp, JmpOp, AtomicOp, PseudoLoad, PseudoCall, classOf, isWide } from './isa/opcodes.js';
export * from './isa/builder.js';
export { Helper } from './isa/helpers.js';
export * from './spec/collection.js';
export * from './kernel/codec.js';
export { BpfMap, isPerCpu, type MapCodecs } from './kernel/map.js';
export { Program, VerifierError, type LoadOptions, type TestRunOptions, type TestRunResult } from './kernel/program.js';
export { Link, createLink } from './kernel/link.js';
export { Collection, type CollectionOptions } from './kernel/collection.js';
export { FileDescriptor } from './kernel/fd.js';
export { openPinned, unpin } from './kernel/pin.js';
export { ensureBpffs, ensureTracefs } from './kernel/mounts.js';
export { possibleCpus, onlineCpus } from './kernel/cpus.js';
export * from './kernel/info.js';
