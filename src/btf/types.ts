// BTF type model: one plain object per type record, tagged by kind. Type references are ids into the same Btf
// (or its base, for split BTF); id 0 is void.
import { BtfKind } from './vmlinux-names.js';

export { BtfKind };

/** Bad BTF data, or a question the data cannot answer (unknown id, unsized type, reference loop). */
export class BtfError extends Error {
  override name = 'BtfError';
}

/** BTF_INT_* encoding bits. */
export const IntEncoding = { SIGNED: 1, CHAR: 2, BOOL: 4 } as const;

/** BTF_FUNC_* linkage of a FUNC; BTF_VAR_* linkage of a VAR. */
export enum FuncLinkage { STATIC = 0, GLOBAL = 1, EXTERN = 2 }
export enum VarLinkage { STATIC = 0, GLOBAL_ALLOCATED = 1, GLOBAL_EXTERN = 2 }

interface Common {
  id: number;
  /** Empty for anonymous types. */
  name: string;
}

export interface VoidType extends Common { kind: BtfKind.UNKN }
export interface IntType extends Common {
  kind: BtfKind.INT;
  size: number;
  /** BTF_INT_* bits (IntEncoding). */
  encoding: number;
  signed: boolean;
  /** Bit offset and width inside the storage (legacy bitfield ints; normally 0 and size*8). */
  bitOffset: number;
  bits: number;
}
export interface PtrType extends Common { kind: BtfKind.PTR; type: number }
export interface ArrayType extends Common { kind: BtfKind.ARRAY; type: number; indexType: number; nelems: number }
export interface Member {
  name: string;
  type: number;
  /** Offset from the start of the struct, in bits. */
  bitOffset: number;
  /** Width of a bitfield in bits; 0 when the member is not a bitfield. */
  bitfieldSize: number;
}
export interface StructType extends Common {
  kind: BtfKind.STRUCT | BtfKind.UNION;
  size: number;
  members: Member[];
  /** Set when member offsets carry bitfield sizes (kind_flag). */
  bitfields: boolean;
}
export interface EnumValue { name: string; value: bigint }
export interface EnumType extends Common {
  kind: BtfKind.ENUM | BtfKind.ENUM64;
  size: number;
  signed: boolean;
  values: EnumValue[];
}
export interface FwdType extends Common { kind: BtfKind.FWD; union: boolean }
/** TYPEDEF, VOLATILE, CONST, RESTRICT and TYPE_TAG: a name or qualifier over another type. */
export interface RefType extends Common {
  kind: BtfKind.TYPEDEF | BtfKind.VOLATILE | BtfKind.CONST | BtfKind.RESTRICT | BtfKind.TYPE_TAG;
  type: number;
}
export interface FuncType extends Common { kind: BtfKind.FUNC; type: number; linkage: FuncLinkage }
export interface Param { name: string; type: number }
export interface FuncProtoType extends Common {
  kind: BtfKind.FUNC_PROTO;
  returnType: number;
  params: Param[];
  /** The last parameter was `...` (stored as a nameless void parameter). */
  variadic: boolean;
}
export interface VarType extends Common { kind: BtfKind.VAR; type: number; linkage: VarLinkage }
export interface VarSecInfo { type: number; offset: number; size: number }
export interface DatasecType extends Common { kind: BtfKind.DATASEC; size: number; vars: VarSecInfo[] }
export interface FloatType extends Common { kind: BtfKind.FLOAT; size: number }
export interface DeclTagType extends Common {
  kind: BtfKind.DECL_TAG;
  type: number;
  /** Member or parameter index the tag applies to; -1 for the type itself. */
  componentIdx: number;
}

export type BtfType =
  | VoidType | IntType | PtrType | ArrayType | StructType | EnumType | FwdType | RefType | FuncType
  | FuncProtoType | VarType | DatasecType | FloatType | DeclTagType;

/** A type without its id: what encode() consumes and what a builder produces. */
export type BtfTypeSpec = BtfType extends infer T ? T extends BtfType ? Omit<T, 'id'> & { id?: number } : never : never;

export const KIND_NAMES: Record<number, string> = {
  0: 'UNKN', 1: 'INT', 2: 'PTR', 3: 'ARRAY', 4: 'STRUCT', 5: 'UNION', 6: 'ENUM', 7: 'FWD', 8: 'TYPEDEF',
  9: 'VOLATILE', 10: 'CONST', 11: 'RESTRICT', 12: 'FUNC', 13: 'FUNC_PROTO', 14: 'VAR', 15: 'DATASEC', 16: 'FLOAT',
  17: 'DECL_TAG', 18: 'TYPE_TAG', 19: 'ENUM64',
};

export function kindName(kind: BtfKind): string {
  return KIND_NAMES[kind] ?? `kind#${kind}`;
}

/** Kinds that are only a qualifier or alias over another type. */
export function isModifier(kind: BtfKind): boolean {
  return kind === BtfKind.TYPEDEF || kind === BtfKind.VOLATILE || kind === BtfKind.CONST
    || kind === BtfKind.RESTRICT || kind === BtfKind.TYPE_TAG;
}

export function isComposite(t: BtfType): t is StructType {
  return t.kind === BtfKind.STRUCT || t.kind === BtfKind.UNION;
}

export function isEnum(t: BtfType): t is EnumType {
  return t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64;
}
