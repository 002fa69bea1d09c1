// BTF: decode (lazily), encode (sanitised), .BTF.ext, CO-RE relocation.
export * from './types.js';
export * from './parse.js';
export * from './ext.js';
export * from './encode.js';
export * from './core.js';
