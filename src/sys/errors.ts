// Typed errors for kernel calls. Each message says what failed and, where we know, what to do about it.
import { Errno, errnoName } from './errno.js';

export class BpfError extends Error {
  override name = 'BpfError';
  constructor(
    message: string,
    /** Positive errno, or 0 when the error did not come from a syscall. */
    readonly errno: number = 0,
  ) {
    super(message);
  }
  get code(): string {
    return errnoName(this.errno);
  }
}

/** Not root, or missing CAP_BPF / CAP_PERFMON / CAP_NET_ADMIN. */
export class PermissionError extends BpfError {
  override name = 'PermissionError';
}

/** The running kernel lacks a program type, map type, attach type, helper or subsystem. */
export class NotSupportedError extends BpfError {
  override name = 'NotSupportedError';
}

/** A map update failed because the map has no room left (E2BIG). */
export class MapFullError extends BpfError {
  override name = 'MapFullError';
}

/** A key that must exist did not (ENOENT on update with EXIST, delete, ...). */
export class KeyNotFoundError extends BpfError {
  override name = 'KeyNotFoundError';
}

/** The object was used after it was closed. */
export class ClosedError extends BpfError {
  override name = 'ClosedError';
}

const permissionHint =
  'bpfkit needs root, or CAP_BPF with CAP_PERFMON (tracing) / CAP_NET_ADMIN (networking); try running with sudo';

/**
 * Turns a failed call (negative return) into a typed error. `what` names the operation in user terms,
 * e.g. "create map 'events' (ringbuf)".
 */
export function errorFromErrno(errno: number, what: string): BpfError {
  const text = `${what}: ${errnoName(errno)}`;
  switch (errno) {
    case Errno.EPERM:
    case Errno.EACCES:
      if (process.getuid && process.getuid() !== 0) return new PermissionError(`${text}. ${permissionHint}`, errno);
      return new PermissionError(`${text} (operation not permitted for this object or kernel)`, errno);
    case Errno.E2BIG:
      return new MapFullError(`${text} (map is full, or the value is too large)`, errno);
    case Errno.ENOSYS:
      return new NotSupportedError(`${text}: this kernel has no bpf() syscall`, errno);
    case Errno.EOPNOTSUPP:
    case Errno.ENOTSUPP:
      return new NotSupportedError(`${text}: not supported by this kernel`, errno);
    case Errno.ENOENT:
      return new KeyNotFoundError(text, errno);
    default:
      return new BpfError(text, errno);
  }
}

/** Throws a typed error when a raw call returned -errno; passes the result through otherwise. */
export function check(result: number, what: string | (() => string)): number {
  if (result < 0) throw errorFromErrno(-result, typeof what === 'string' ? what : what());
  return result;
}
