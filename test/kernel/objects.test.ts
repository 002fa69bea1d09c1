import assert from 'node:assert/strict';
import { program, R0 } from '../../src/isa/builder.js';
import { BpfMap } from '../../src/kernel/map.js';
import { enableStats, listMaps, listPrograms } from '../../src/kernel/objects.js';
import { Program } from '../../src/kernel/program.js';
import { MapType, ProgType } from '../../src/sys/constants.js';
import { kernelTest } from '../helpers/kernel.js';
import { readFileSync } from 'node:fs';
import { FileDescriptor } from '../../src/kernel/fd.js';
import { bpf, rawTracepointAttr } from '../../src/sys/bpf.js';
import { BpfCmd } from '../../src/sys/constants.js';

kernelTest('programs and maps are listed by id with their info', () => {
  using map = BpfMap.create({ name: 'list_me', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 2 });
  using prog = Program.load({ name: 'list_me', type: ProgType.SOCKET_FILTER, license: 'GPL',
    instructions: program().mov(R0, 7).exit().build() });
  const p = listPrograms().find((x) => x.id === prog.info().id);
  assert.equal(p?.name, 'list_me');
  assert.ok(p!.xlatedSize >= 16 && p!.jitedSize > 0, 'sizes are reported');
  assert.equal(listMaps().find((x) => x.id === map.info().id)?.name, 'list_me');
});

kernelTest('run count and run time are filled only while stats are enabled', () => {
  using prog = Program.load({ name: 'stats', type: ProgType.RAW_TRACEPOINT, license: 'GPL',
    instructions: program().mov(R0, 0).exit().build() });
  using _link = new FileDescriptor(bpf(BpfCmd.RAW_TRACEPOINT_OPEN, rawTracepointAttr('sys_enter', prog.fd.value), 'attach'), 'link');
  for (let i = 0; i < 50; i++) process.getuid?.();
  for (let i = 0; i < 50; i++) readFileSync('/proc/self/stat');
  const stats = enableStats();
  const before = prog.info().runCount;
  for (let i = 0; i < 50; i++) readFileSync('/proc/self/stat');
  const during = prog.info();
  stats.close();
  assert.ok(during.runCount - before >= 50n, `at least 50 runs counted (got ${during.runCount - before})`);
  assert.ok(during.runTimeNs > 0n, 'run time accumulated');
  const after = prog.info().runCount;
  for (let i = 0; i < 50; i++) readFileSync('/proc/self/stat');
  assert.equal(prog.info().runCount, after, 'no accounting once the stats fd is closed');
});
