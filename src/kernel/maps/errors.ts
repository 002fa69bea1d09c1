// Map-specific errors: which errno means what depends on the map type (E2BIG is "full" for a hash, "index out of
// range" for an array), so map operations translate errno here instead of in the generic sys layer.
import { MapType } from '../../sys/constants.js';
import { Errno } from '../../sys/errno.js';
import { BpfError, errorFromErrno, MapFullError } from '../../sys/errors.js';

/** An update with NOEXIST found the key already present (EEXIST). */
export class KeyExistsError extends BpfError {
  override name = 'KeyExistsError';
}

/** An array-like map was given an index at or beyond max_entries (E2BIG on an array). */
export class IndexOutOfRangeError extends BpfError {
  override name = 'IndexOutOfRangeError';
}

const indexedTypes = new Set<MapType>([
  MapType.ARRAY, MapType.PERCPU_ARRAY, MapType.PROG_ARRAY, MapType.PERF_EVENT_ARRAY, MapType.ARRAY_OF_MAPS,
  MapType.CGROUP_ARRAY,
]);

/** Maps whose keys are u32 indexes below max_entries. */
export function isIndexed(type: MapType): boolean {
  return indexedTypes.has(type);
}

/** The typed error for a failed map update on a map of `type`. */
export function updateError(errno: number, type: MapType, what: string, maxEntries: number): BpfError {
  if (errno === Errno.EEXIST) return new KeyExistsError(`${what}: key already exists (EEXIST; updated with NOEXIST)`, errno);
  if (errno === Errno.E2BIG && isIndexed(type)) {
    return new IndexOutOfRangeError(`${what}: index out of range (E2BIG; the map has ${maxEntries} entries)`, errno);
  }
  if (errno === Errno.E2BIG) return new MapFullError(`${what}: map is full (E2BIG; max_entries ${maxEntries})`, errno);
  return errorFromErrno(errno, what);
}
