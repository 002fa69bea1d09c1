// The bpftrace runtime: runs a CompiledScript against the kernel and prints what bpftrace prints.
export { runScript, TraceRuntimeError, NOTIFY_PROBES_ATTACHED, type RunOptions, type RunResult, type RunTimings } from './runtime.js';
export { attachProbe, prepareAttach, attachTracepoint, SOFTWARE_EVENTS, type Attachment, type AttachOptions } from './attach.js';
export { readMapContents, contentsFromEntries, rawEntries, decodeKey, keyTypesOf, clearMap, zeroMap, type RawEntry } from './maps.js';
export { RecordDecoder, type RecordAction } from './records.js';
export { FdSink, StringSink, type OutputSink, type BufferingMode } from './sink.js';
export { decodeValue, readInt, viewOf, type ScriptValue } from './decode.js';
