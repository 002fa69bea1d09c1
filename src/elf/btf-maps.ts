// BTF-style map definitions (`.maps`): each map is a variable whose struct type encodes the map's shape in its
// members (`__uint(max_entries, 16)` is `int (*max_entries)[16]`, `__type(key, u32)` is `u32 *key`, ...).
import type { Btf } from '../btf/parse.js';
import { BtfKind, type BtfType, type StructType } from '../btf/types.js';
import type { MapSpec } from '../spec/collection.js';
import { MapType } from '../sys/constants.js';
import { ObjectError } from './object-error.js';

/** LIBBPF_PIN_BY_NAME: pin the map under the pin root by its name. */
export const PIN_BY_NAME = 1;

export interface BtfMapSpec extends MapSpec {
  /** 0: no pinning; 1: pin by name (libbpf's LIBBPF_PIN_BY_NAME). */
  pinning?: number;
  numaNode?: number;
  /** The BTF type ids of key and value in the object's BTF. */
  keyTypeId?: number;
  valueTypeId?: number;
}

/** Decodes every map in the `.maps` DATASEC of an object's BTF. */
export function decodeBtfMaps(btf: Btf, names: ReadonlyArray<{ name: string; offset: number }>): Record<string, BtfMapSpec> {
  const out: Record<string, BtfMapSpec> = {};
  const sec = btf.typeByName('.maps', BtfKind.DATASEC);
  if (!sec || sec.kind !== BtfKind.DATASEC) {
    if (names.length > 0) throw new ObjectError(`the object has a .maps section but its BTF has no '.maps' DATASEC`);
    return out;
  }
  for (const v of sec.vars) {
    const variable = btf.type(v.type);
    if (variable.kind !== BtfKind.VAR) throw new ObjectError(`.maps entry ${v.type} is ${variable.kind}, not a variable`);
    out[variable.name] = decodeMapDef(btf, variable.name, variable.type, 0);
  }
  for (const { name } of names) {
    if (!out[name]) throw new ObjectError(`map '${name}' in .maps has no BTF definition`);
  }
  return out;
}

function decodeMapDef(btf: Btf, name: string, typeId: number, depth: number): BtfMapSpec {
  const def = btf.resolve(typeId);
  if (def.kind !== BtfKind.STRUCT) throw new ObjectError(`map '${name}': definition is not a struct`);
  const spec: BtfMapSpec = { name, type: MapType.UNSPEC, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0 };
  for (const m of (def as StructType).members) {
    switch (m.name) {
      case 'type': spec.type = uintMember(btf, name, m.name, m.type) as MapType; break;
      case 'max_entries': spec.maxEntries = uintMember(btf, name, m.name, m.type); break;
      case 'map_flags': spec.flags = uintMember(btf, name, m.name, m.type); break;
      case 'numa_node': spec.numaNode = uintMember(btf, name, m.name, m.type); break;
      case 'pinning': spec.pinning = uintMember(btf, name, m.name, m.type); break;
      case 'map_extra': spec.mapExtra = BigInt(uintMember(btf, name, m.name, m.type)); break;
      case 'key_size': spec.keySize = uintMember(btf, name, m.name, m.type); break;
      case 'value_size': spec.valueSize = uintMember(btf, name, m.name, m.type); break;
      case 'key': {
        const id = pointee(btf, name, m.name, m.type);
        spec.keySize = btf.sizeOf(id);
        spec.keyTypeId = id;
        break;
      }
      case 'value': {
        const id = pointee(btf, name, m.name, m.type);
        spec.valueSize = btf.sizeOf(id);
        spec.valueTypeId = id;
        break;
      }
      case 'values': {
        // Map-in-map: `__array(values, struct inner_def)` is an empty array of pointers to the inner definition.
        const arr = btf.resolve(m.type);
        if (arr.kind !== BtfKind.ARRAY) throw new ObjectError(`map '${name}': 'values' is not an array`);
        const ptr = btf.resolve(arr.type);
        if (ptr.kind !== BtfKind.PTR) throw new ObjectError(`map '${name}': 'values' is not an array of pointers`);
        if (depth > 0) throw new ObjectError(`map '${name}': nested map-in-map is not supported`);
        if (spec.type === MapType.ARRAY_OF_MAPS || spec.type === MapType.HASH_OF_MAPS) {
          spec.innerMap = decodeMapDef(btf, `${name}.inner`, ptr.type, depth + 1);
          spec.valueSize = 4;
        } else {
          spec.valueSize = 4; // prog arrays: values are program fds
        }
        break;
      }
      default:
        throw new ObjectError(`map '${name}': unknown map definition field '${m.name}'`);
    }
  }
  if (spec.type === MapType.UNSPEC) throw new ObjectError(`map '${name}': no type given`);
  if (spec.keyTypeId === undefined) delete spec.keyTypeId;
  return spec;
}

/** `int (*name)[N]` → N. */
function uintMember(btf: Btf, map: string, field: string, typeId: number): number {
  const ptr = btf.resolve(typeId);
  if (ptr.kind !== BtfKind.PTR) throw new ObjectError(`map '${map}': field '${field}' is not a pointer`);
  const arr: BtfType = btf.resolve(ptr.type);
  if (arr.kind !== BtfKind.ARRAY) throw new ObjectError(`map '${map}': field '${field}' is not a pointer to an array`);
  return arr.nelems;
}

function pointee(btf: Btf, map: string, field: string, typeId: number): number {
  const ptr = btf.resolve(typeId);
  if (ptr.kind !== BtfKind.PTR) throw new ObjectError(`map '${map}': field '${field}' is not a pointer`);
  return ptr.type;
}
