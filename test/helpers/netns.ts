// A throwaway network rig: two network namespaces joined by a veth pair, private addresses on a benchmark-test
// subnet (198.18.0.0/15, RFC 2544) inside them only, static neighbour entries so no ARP is needed. Built with `ip`
// from iproute2, never touching the host's own interfaces; torn down by close(), at exit, and on SIGINT/SIGTERM.
// Namespaces left by a crashed run (named after a pid that no longer exists) are removed on the next run.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface RigEnd {
  /** `ip netns` name; /run/netns/<netns> is its path. */
  netns: string;
  path: string;
  ifname: string;
  ifindex: number;
  ip: string;
  mac: string;
}

export interface VethRig extends Disposable {
  a: RigEnd;
  b: RigEnd;
  close(): void;
}

const PREFIX = 'bpfkit-';
const live = new Set<string>();
let counter = 0;
let hooked = false;

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function deleteNetns(name: string): void {
  try {
    ip('netns', 'del', name);
  } catch {
    // already gone
  }
  live.delete(name);
}

function teardownAll(): void {
  for (const name of [...live]) deleteNetns(name);
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', teardownAll);
  exitOnSignals();
}

/** Turns SIGINT/SIGTERM into a normal exit so every 'exit' teardown (namespaces, cgroups) runs. */
export function exitOnSignals(): void {
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    if (process.listenerCount(sig) === 0) process.once(sig, () => process.exit(code));
  }
}

/** Deletes bpfkit-<pid>-* namespaces whose pid is gone (a run that crashed before its cleanup). */
function reapStale(): void {
  let list = '';
  try {
    list = ip('netns', 'list');
  } catch {
    return;
  }
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = new RegExp(`^${PREFIX}(\\d+)-`).exec(name);
    if (m && !existsSync(`/proc/${m[1]}`)) deleteNetns(name);
  }
}

/** Creates a network namespace (loopback up) that is deleted at close/exit. */
export function createNetns(tag = 'ns'): { name: string; path: string; close(): void } & Disposable {
  hookExit();
  reapStale();
  const name = `${PREFIX}${process.pid}-${++counter}-${tag}`;
  ip('netns', 'add', name);
  live.add(name);
  try {
    ip('-n', name, 'link', 'set', 'lo', 'up');
  } catch (err) {
    deleteNetns(name);
    throw err;
  }
  const close = () => deleteNetns(name);
  return { name, path: `/run/netns/${name}`, close, [Symbol.dispose]: close };
}

function linkDetails(netns: string, ifname: string): { ifindex: number; mac: string } {
  const [info] = JSON.parse(ip('-n', netns, '-j', 'link', 'show', 'dev', ifname)) as Array<{ ifindex: number; address: string }>;
  if (!info) throw new Error(`ip link show ${ifname} in ${netns} returned nothing`);
  return { ifindex: info.ifindex, mac: info.address };
}

/** Two namespaces a and b joined by veth pair, a = 198.18.N.1/30 and b = 198.18.N.2/30, both up. */
export function createVethRig(): VethRig {
  const nsA = createNetns('a');
  let nsB: ReturnType<typeof createNetns> | undefined;
  try {
    nsB = createNetns('b');
    const n = counter % 250;
    const tag = `bk${process.pid % 100000}x${n}`; // ≤ 15 bytes with the a/b suffix
    const ends = [
      { ns: nsA.name, ifname: `${tag}a`, ip: `198.18.${n}.1` },
      { ns: nsB.name, ifname: `${tag}b`, ip: `198.18.${n}.2` },
    ] as const;
    ip('-n', nsA.name, 'link', 'add', ends[0].ifname, 'type', 'veth', 'peer', 'name', ends[1].ifname, 'netns', nsB.name);
    for (const e of ends) {
      ip('-n', e.ns, 'addr', 'add', `${e.ip}/30`, 'dev', e.ifname);
      ip('-n', e.ns, 'link', 'set', e.ifname, 'up');
    }
    const [a, b] = ends.map((e) => ({ netns: e.ns, path: `/run/netns/${e.ns}`, ifname: e.ifname, ip: e.ip, ...linkDetails(e.ns, e.ifname) })) as [RigEnd, RigEnd];
    ip('-n', a.netns, 'neigh', 'replace', b.ip, 'lladdr', b.mac, 'dev', a.ifname, 'nud', 'permanent');
    ip('-n', b.netns, 'neigh', 'replace', a.ip, 'lladdr', a.mac, 'dev', b.ifname, 'nud', 'permanent');
    const close = () => {
      nsA.close();
      nsB!.close();
    };
    return { a, b, close, [Symbol.dispose]: close };
  } catch (err) {
    nsA.close();
    nsB?.close();
    throw err;
  }
}

/** Names of bpfkit test namespaces that currently exist (for leak checks). */
export function listTestNetns(): string[] {
  return ip('netns', 'list').split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(`${PREFIX}${process.pid}-`));
}

/** How iproute2 reports XDP on a rig interface: 'native' (drv), 'generic' (skb), or undefined when none. */
export function xdpAttachMode(end: RigEnd): 'native' | 'generic' | 'offload' | undefined {
  const [info] = JSON.parse(ip('-n', end.netns, '-j', 'link', 'show', 'dev', end.ifname)) as Array<{ xdp?: { mode: number } }>;
  return ({ 1: 'native', 2: 'generic', 3: 'offload' } as const)[info?.xdp?.mode as 1 | 2 | 3];
}
