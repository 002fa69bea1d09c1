// Pinning kernel objects in bpffs so they outlive the process, and opening them again.
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { bpf, objPathAttr } from '../sys/bpf.js';
import { BpfCmd } from '../sys/constants.js';
import { ensureBpffs } from './mounts.js';

export function pinObject(fd: number, path: string, what: string): void {
  const root = ensureBpffs();
  if (!path.startsWith(root + '/')) throw new RangeError(`${what}: pin path ${path} is not under bpffs (${root})`);
  mkdirSync(dirname(path), { recursive: true });
  bpf(BpfCmd.OBJ_PIN, objPathAttr(path, fd), () => `${what} at ${path}`);
}

/** Opens any pinned object (map, program or link) and returns its raw fd. */
export function openPinned(path: string): number {
  ensureBpffs();
  return bpf(BpfCmd.OBJ_GET, objPathAttr(path), `open pinned object ${path}`);
}

/** Removes a pin; the object dies once nothing else holds it. */
export function unpin(path: string): void {
  rmSync(path, { force: true });
}
