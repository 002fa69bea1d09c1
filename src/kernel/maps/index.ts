// Typed maps: factories per map type, type-specific classes, key codecs and errors.
export * from './factories.js';
export { BloomFilter } from './bloom.js';
export { QueueMap } from './queue.js';
export { MapOfMaps, PerfEventArray, ProgArray, type FdRef } from './fd-array.js';
export { cidr4, cidr6, lpmKey, maskHostBits, parseIPv4, parseIPv6, formatIPv4, formatIPv6, type LpmKey } from './lpm.js';
export { stackFrames, StackIdFlags, DEFAULT_STACK_DEPTH } from './stack-trace.js';
export { MappedArray, type MmapOptions } from './mmap.js';
export { IndexOutOfRangeError, KeyExistsError, isIndexed } from './errors.js';
export type { Batch, BatchCursor } from './batch.js';
