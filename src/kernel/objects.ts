// System-wide views: every loaded program, map and link by id, and run-time statistics switched on by an fd.
import { bpf, bpfRaw, idAttr, u32Attr } from '../sys/bpf.js';
import { BpfCmd, StatsType } from '../sys/constants.js';
import { Errno } from '../sys/errno.js';
import { errorFromErrno } from '../sys/errors.js';
import { FileDescriptor } from './fd.js';
import { linkInfo, mapInfo, programInfo, type LinkInfo, type MapInfo, type ProgramInfo } from './info.js';

function* ids(cmd: BpfCmd, what: string): IterableIterator<number> {
  let id = 0;
  for (;;) {
    const attr = idAttr(id);
    const r = bpfRaw(cmd, attr);
    if (r === -Errno.ENOENT) return;
    if (r < 0) throw errorFromErrno(-r, `list ${what}`);
    id = attr.getU32(4);
    yield id;
  }
}

/** Opens an object by id and reads its info; objects that vanish meanwhile are skipped. */
function* infos<T>(next: BpfCmd, open: BpfCmd, read: (fd: number) => T, what: string): IterableIterator<T> {
  for (const id of ids(next, what)) {
    const fd = bpfRaw(open, idAttr(id));
    if (fd === -Errno.ENOENT) continue;
    if (fd < 0) throw errorFromErrno(-fd, `open ${what} id ${id}`);
    const owned = new FileDescriptor(fd, `${what} ${id}`);
    try {
      yield read(fd);
    } finally {
      owned.close();
    }
  }
}

export function listPrograms(): ProgramInfo[] {
  return [...infos(BpfCmd.PROG_GET_NEXT_ID, BpfCmd.PROG_GET_FD_BY_ID, programInfo, 'programs')];
}

export function listMaps(): MapInfo[] {
  return [...infos(BpfCmd.MAP_GET_NEXT_ID, BpfCmd.MAP_GET_FD_BY_ID, mapInfo, 'maps')];
}

export function listLinks(): LinkInfo[] {
  return [...infos(BpfCmd.LINK_GET_NEXT_ID, BpfCmd.LINK_GET_FD_BY_ID, linkInfo, 'links')];
}

/**
 * Turns on run_cnt / run_time_ns accounting for every program until the returned handle is closed
 * (BPF_ENABLE_STATS: unlike the sysctl, it switches itself off when this process exits).
 */
export function enableStats(): FileDescriptor {
  const fd = bpf(BpfCmd.ENABLE_STATS, u32Attr(StatsType.RUN_TIME), 'enable BPF run-time statistics');
  return new FileDescriptor(fd, 'stats');
}
