// Block device names for the kernel's dev_t numbers, from /proc/partitions (what libbpf-tools read too). The BPF
// side reports the whole disk of a request (its gendisk's major and first minor), so names are disks: "vda".
import { readFileSync } from 'node:fs';
import { ToolUsageError } from '../framework/tool.js';

/** The kernel's internal dev_t encoding (MKDEV): major in the high 12 bits, minor in the low 20. */
function mkdev(major: number, minor: number): number {
  return ((major << 20) | minor) >>> 0;
}

export class DiskNames {
  readonly #byDev = new Map<number, string>();
  readonly #byName = new Map<string, number>();

  constructor(partitionsText: string = readPartitions()) {
    for (const line of partitionsText.split('\n')) {
      const m = /^\s*(\d+)\s+(\d+)\s+\d+\s+(\S+)\s*$/.exec(line);
      if (!m) continue;
      const dev = mkdev(Number(m[1]), Number(m[2]));
      this.#byDev.set(dev, m[3]!);
      this.#byName.set(m[3]!, dev);
    }
  }

  /** The name of dev ("vda"), or "Unknown" as libbpf-tools print for a device they cannot name. */
  name(dev: number): string {
    return this.#byDev.get(dev) ?? 'Unknown';
  }

  /** The dev_t of a disk given by name (as for -d); a clear usage error when there is no such disk. */
  devOf(name: string): number {
    const dev = this.#byName.get(name.replace(/^\/dev\//, ''));
    if (dev === undefined) throw new ToolUsageError(`no disk named '${name}' (see /proc/partitions)`);
    return dev;
  }
}

function readPartitions(): string {
  try {
    return readFileSync('/proc/partitions', 'utf8');
  } catch {
    return '';
  }
}
