// The same clang-built object loaded by bpfkit and by libbpf (`bpftool prog loadall`): the same programs, the
// same number of maps, and instruction-for-instruction identical `bpftool prog dump xlated` after relocation.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { ObjectCollection } from '../../src/kernel/object.js';
import { ensureBpffs } from '../../src/kernel/mounts.js';
import { compileBpf } from '../fixtures/bpf/build.js';
import { kernelTest } from '../helpers/kernel.js';

const bpftool = (...args: string[]) => execFileSync('bpftool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** xlated dump with map ids (which differ between the two loads) replaced by a placeholder. */
function xlated(...where: string[]): string {
  return bpftool('prog', 'dump', 'xlated', ...where)
    .replace(/map\[id:\d+\]/g, 'map[id:N]')
    .replace(/_[0-9a-f]{16}_F/g, '_TAG_F')
    .trimEnd();
}

function mapIds(...where: string[]): number[] {
  const info = JSON.parse(bpftool('-j', 'prog', 'show', ...where)) as { map_ids?: number[] };
  return info.map_ids ?? [];
}

for (const name of ['globals', 'subprogs', 'tracing', 'core', 'xdp_port', 'kconfig', 'mapdefs']) {
  kernelTest(`${name}.bpf.o: bpfkit and bpftool prog loadall load the same programs with identical xlated code`, () => {
    const obj = compileBpf(name);
    ensureBpffs();
    const dir = `/sys/fs/bpf/bpfkit-cmp-${process.pid}-${name}`;
    // libbpf pins LIBBPF_PIN_BY_NAME maps (mapdefs.bpf.c has one) under /sys/fs/bpf itself: remove what it adds.
    const rootBefore = new Set(readdirSync('/sys/fs/bpf'));
    mkdirSync(dir, { recursive: true });
    try {
      bpftool('prog', 'loadall', obj, dir);
      const theirs = readdirSync(dir).sort();
      using ours = ObjectCollection.loadFile(obj);
      assert.deepEqual(Object.keys(ours.programs).sort(), theirs);
      const theirMaps = new Set<number>();
      const ourMaps = new Set<number>();
      for (const prog of theirs) {
        const id = ours.program(prog).info().id;
        for (const m of mapIds('pinned', `${dir}/${prog}`)) theirMaps.add(m);
        for (const m of mapIds('id', String(id))) ourMaps.add(m);
        assert.equal(xlated('id', String(id)), xlated('pinned', `${dir}/${prog}`), `xlated code of ${prog}`);
      }
      assert.equal(ourMaps.size, theirMaps.size, 'maps used by the programs');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      for (const entry of readdirSync('/sys/fs/bpf')) {
        if (!rootBefore.has(entry) && entry === 'pinned_hash') rmSync(`/sys/fs/bpf/${entry}`, { force: true });
      }
    }
  });
}
