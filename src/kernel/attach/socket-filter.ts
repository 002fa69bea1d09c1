// Socket filters (SO_ATTACH_BPF). The filter returns how many bytes of each packet to keep; 0 drops it.
import { ProgType } from '../../sys/constants.js';
import { errorFromErrno } from '../../sys/errors.js';
import { native } from '../../sys/native.js';
import { FileDescriptor } from '../fd.js';
import { Link } from '../link.js';
import { NetSys, requireProgramType, withHints, type NetProgram } from './net-common.js';

const SOL_SOCKET = 1;
const SO_ATTACH_BPF = 50;
const SO_DETACH_BPF = 27;
const F_DUPFD_CLOEXEC = 1030;
const ENOTSOCK = 88;

/**
 * Attaches a SOCKET_FILTER program to a socket fd. The link holds a duplicate of the fd, so closing it detaches
 * the filter from exactly this socket even if the caller's fd number has since been closed and reused.
 */
export function socketFilter(prog: NetProgram, socketFd: number): Link {
  requireProgramType(prog, [ProgType.SOCKET_FILTER], 'socket filter');
  if (!Number.isInteger(socketFd) || socketFd < 0) throw new RangeError(`invalid socket fd ${socketFd}`);
  const dup = native.syscall(NetSys.fcntl, socketFd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) throw errorFromErrno(-dup, `socket filter: fd ${socketFd}`);
  const socket = new FileDescriptor(dup, `socket (fd ${socketFd})`);
  const description = `socket filter on fd ${socketFd}`;
  try {
    const progFd = new Uint8Array(4);
    new DataView(progFd.buffer).setUint32(0, prog.fd.value, true);
    withHints(() => {
      const r = native.syscall(NetSys.setsockopt, dup, SOL_SOCKET, SO_ATTACH_BPF, progFd, 4);
      if (r < 0) throw errorFromErrno(-r, `attach ${description}`);
    }, { [ENOTSOCK]: `fd ${socketFd} is not a socket` });
  } catch (err) {
    socket.close();
    throw err;
  }
  // Detaching fails with ENOENT if someone else already removed the filter; either way it is gone. The kernel
  // wants an int-sized option value even though it ignores it.
  return new Link(null, description, [socket], () => {
    native.syscall(NetSys.setsockopt, socket.value, SOL_SOCKET, SO_DETACH_BPF, new Uint8Array(4), 4);
  });
}
