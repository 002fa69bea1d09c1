// An attachment of a program to a hook. Detaches when closed; bpf_link-based links can be pinned and updated.
import { bpf, bpfRaw, linkCreateAttr, u32Attr, Attr } from '../sys/bpf.js';
import { BpfCmd, LinkType } from '../sys/constants.js';
import { errorFromErrno } from '../sys/errors.js';
import { FileDescriptor } from './fd.js';
import { linkInfo, type LinkInfo } from './info.js';
import { openPinned, pinObject } from './pin.js';

export class Link implements Disposable {
  #closed = false;

  /**
   * @param fd the bpf_link fd, or null for attachments that are not bpf_links (perf event ioctl, socket option)
   * @param description what was attached where, for messages ("tracepoint syscalls/sys_enter_openat")
   * @param held other fds the attachment lives on (the perf event of a tracepoint link), closed after fd
   * @param detach extra teardown for attachments without a link fd
   */
  constructor(
    readonly fd: FileDescriptor | null,
    readonly description: string,
    private readonly held: FileDescriptor[] = [],
    private readonly detach?: () => void,
  ) {}

  static fromPin(path: string): Link {
    return new Link(new FileDescriptor(openPinned(path), `link ${path}`), `pinned link ${path}`);
  }

  get closed(): boolean {
    return this.#closed;
  }

  info(): LinkInfo {
    if (!this.fd) throw new TypeError(`${this.description} is not a bpf_link and has no link info`);
    return linkInfo(this.fd.value);
  }

  /** Pins a bpf_link so the attachment outlives the process. */
  pin(path: string): void {
    if (!this.fd) throw new TypeError(`${this.description} is not a bpf_link and cannot be pinned`);
    pinObject(this.fd.value, path, `pin link (${this.description})`);
  }

  /** Swaps the attached program without a gap (LINK_UPDATE). */
  update(program: { fd: { value: number } }): void {
    if (!this.fd) throw new TypeError(`${this.description} is not a bpf_link and cannot be updated`);
    bpf(BpfCmd.LINK_UPDATE, new Attr(16).u32(0, this.fd.value).u32(4, program.fd.value),
      `update link (${this.description})`);
  }

  /** Detaches now, even if the link is pinned or shared (LINK_DETACH), and closes it. */
  forceDetach(): void {
    if (this.fd && !this.fd.closed) bpfRaw(BpfCmd.LINK_DETACH, u32Attr(this.fd.value));
    this.close();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.detach?.();
    } finally {
      this.fd?.close();
      for (const h of this.held) h.close();
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** BPF_LINK_CREATE, wrapped in a Link. `extra` fills the per-type part of the attr (offset 16 on). */
export function createLink(
  programFd: number, target: number, attachType: number, description: string,
  opts: { flags?: number; extra?: (attr: Attr) => void; held?: FileDescriptor[] } = {},
): Link {
  const attr = linkCreateAttr(programFd, target, attachType, opts.flags ?? 0, opts.extra);
  const r = bpfRaw(BpfCmd.LINK_CREATE, attr);
  if (r < 0) {
    for (const h of opts.held ?? []) h.close();
    throw errorFromErrno(-r, `attach ${description}`);
  }
  return new Link(new FileDescriptor(r, `link ${description}`), description, opts.held ?? []);
}

export { LinkType };
