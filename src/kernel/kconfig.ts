// Values for `extern ... __kconfig` variables: LINUX_KERNEL_VERSION from uname, CONFIG_* from /proc/config.gz
// (or /boot/config-$(uname -r)). bool/tristate: y=1, m=2, n/unset=0; integers; char arrays get the string.
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';
import type { ObjectSpec } from '../elf/object.js';
import { Errno } from '../sys/errno.js';
import { NotSupportedError } from '../sys/errors.js';

let config: Map<string, string> | undefined;

function kernelConfig(): Map<string, string> {
  if (config) return config;
  config = new Map();
  let text = '';
  if (existsSync('/proc/config.gz')) text = gunzipSync(readFileSync('/proc/config.gz')).toString('utf8');
  else if (existsSync(`/boot/config-${release()}`)) text = readFileSync(`/boot/config-${release()}`, 'utf8');
  for (const line of text.split('\n')) {
    const m = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (m) config.set(m[1]!, m[2]!);
  }
  return config;
}

/** LINUX_KERNEL_VERSION as libbpf computes it: KERNEL_VERSION(major, minor, min(patch, 255)). */
export function linuxKernelVersion(rel = release()): number {
  const [major = 0, minor = 0, patch = 0] = rel.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  return (major << 16) + (minor << 8) + Math.min(patch, 255);
}

/** The .kconfig section's bytes with every extern filled in. Throws for a CONFIG_ the kernel config lacks. */
export function kconfigData(spec: ObjectSpec): Uint8Array | undefined {
  const section = spec.dataSections['.kconfig'];
  if (!section) return undefined;
  const data = section.data.slice();
  const view = new DataView(data.buffer);
  for (const v of Object.values(spec.variables)) {
    if (v.section !== '.kconfig') continue;
    const put = (n: bigint) => {
      if (v.size === 1) view.setUint8(v.offset, Number(BigInt.asUintN(8, n)));
      else if (v.size === 2) view.setUint16(v.offset, Number(BigInt.asUintN(16, n)), true);
      else if (v.size === 4) view.setUint32(v.offset, Number(BigInt.asUintN(32, n)), true);
      else if (v.size === 8) view.setBigUint64(v.offset, BigInt.asUintN(64, n), true);
    };
    if (v.name === 'LINUX_KERNEL_VERSION') {
      put(BigInt(linuxKernelVersion()));
      continue;
    }
    if (v.name === 'LINUX_HAS_BPF_COOKIE' || v.name === 'LINUX_HAS_SYSCALL_WRAPPER') {
      put(1n);
      continue;
    }
    if (!v.name.startsWith('CONFIG_')) {
      throw new NotSupportedError(`kconfig extern '${v.name}' is not one bpfkit knows how to fill`, Errno.ENOENT);
    }
    const raw = kernelConfig().get(v.name);
    if (raw === undefined || raw === 'n') continue; // unset: 0, as libbpf does for __weak externs
    if (raw === 'y') put(1n);
    else if (raw === 'm') put(2n);
    else if (raw.startsWith('"')) data.set(new TextEncoder().encode(JSON.parse(raw) as string).subarray(0, v.size - 1), v.offset);
    else put(BigInt(raw));
  }
  return data;
}
