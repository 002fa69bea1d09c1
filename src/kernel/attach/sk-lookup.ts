// sk_lookup programs pick the socket for an incoming TCP connection or UDP datagram before the kernel's own
// lookup. They attach to a whole network namespace (LINK_CREATE SK_LOOKUP, target = a netns fd).
import { closeSync } from 'node:fs';
import { AttachType, ProgType } from '../../sys/constants.js';
import { Errno } from '../../sys/errno.js';
import { createLink, type Link } from '../link.js';
import { netnsPath, openNetns, requireProgramType, withHints, type NetProgram } from './net-common.js';

/** sk_lookup return codes. */
export const SkAction = { DROP: 0, PASS: 1 } as const;

/**
 * Attaches an SK_LOOKUP program (loaded with expectedAttachType SK_LOOKUP) to a network namespace: an `ip netns`
 * name, a path such as /proc/PID/ns/net, or by default the caller's own.
 */
export function skLookup(prog: NetProgram, netns = '/proc/thread-self/ns/net'): Link {
  requireProgramType(prog, [ProgType.SK_LOOKUP], 'sk_lookup');
  const path = netnsPath(netns);
  const ns = openNetns(path);
  try {
    return withHints(
      () => createLink(prog.fd.value, ns, AttachType.SK_LOOKUP, `sk_lookup on ${path}`),
      {
        [Errno.EINVAL]: `${path} is not a network namespace, or the program lacks expectedAttachType SK_LOOKUP`,
        [Errno.E2BIG]: 'the namespace already has the maximum number of sk_lookup programs',
      },
    );
  } finally {
    closeSync(ns); // the link keeps the namespace alive
  }
}
