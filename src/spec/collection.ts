// The plain-data model every producer (builder, ELF reader, bpftrace compiler) makes and every back end consumes.
import type { Instruction } from '../isa/instruction.js';
import type { MapType, ProgType, AttachType } from '../sys/constants.js';

export interface MapSpec {
  name: string;
  type: MapType;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  /** For array_of_maps / hash_of_maps: the shape of the inner maps. */
  innerMap?: MapSpec;
  /** Extra per-type value (bloom filter hash count, ...). */
  mapExtra?: bigint;
  /** Initial contents written after creation (array-like maps: [index, bytes]). */
  contents?: Array<[Uint8Array, Uint8Array]>;
  /** Freeze after writing contents (read-only data, e.g. .rodata). */
  freeze?: boolean;
  btfFd?: number;
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
}

export interface ProgramSpec {
  name: string;
  type: ProgType;
  instructions: Instruction[];
  license: string;
  expectedAttachType?: AttachType;
  /** BTF type id of the attach target (tp_btf, fentry, lsm, iter). */
  attachBtfId?: number;
  /** Where to attach, in section-name terms (e.g. "syscalls/sys_enter_openat"). */
  attachTo?: string;
  /** The ELF section or probe the program came from. */
  sectionName?: string;
  flags?: number;
  kernelVersion?: number;
}

export interface CollectionSpec {
  maps: Record<string, MapSpec>;
  programs: Record<string, ProgramSpec>;
}
