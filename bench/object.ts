// Issue 3's benchmarks: vmlinux BTF parse (time and memory) and loading a 10-program object, against libbpf.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Btf } from '../src/btf/parse.js';
import { readObjectFile } from '../src/elf/object.js';
import { ObjectCollection } from '../src/kernel/object.js';
import { compileBpf, scratchDir, sourceDir } from '../test/fixtures/bpf/build.js';
import { median, type Row } from './report.js';

function rssKb(): number {
  return Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]) * 4;
}

export function benchBtfParse(binary: string): Row[] {
  const rounds = 10;
  const [cMs, cKb] = execFileSync(binary, [String(rounds)], { encoding: 'utf8' }).trim().split(' ').map(Number);
  const times: number[] = [];
  // Memory: what one parsed copy (file bytes included, as libbpf reads the file too) adds to the process.
  const before = rssKb();
  const kept = Btf.parse(readFileSync('/sys/kernel/btf/vmlinux'));
  kept.typeByName('task_struct');
  const kb = rssKb() - before;
  for (let i = 0; i < rounds; i++) {
    const bytes = readFileSync('/sys/kernel/btf/vmlinux');
    const t0 = performance.now();
    const btf = Btf.parse(bytes);
    // A lookup makes the comparison fair: libbpf builds its indexes while parsing, bpfkit on first use.
    btf.typeByName('task_struct');
    times.push(performance.now() - t0);
  }
  const ms = median(times);
  return [
    { operation: 'vmlinux BTF parse + first lookup', bpfkit: `${ms.toFixed(1)} ms`, c: `${cMs!.toFixed(1)} ms`, ratio: ms / cMs!, goal: 'report', met: true },
    { operation: 'vmlinux BTF resident memory', bpfkit: `${(kb / 1024).toFixed(1)} MiB`, c: `${(cKb! / 1024).toFixed(1)} MiB`, ratio: kb / cKb!, goal: 'report', met: true },
  ];
}

export function benchObjectLoad(): Row {
  const obj = compileBpf('many');
  const loader = join(scratchDir(), 'libbpf-loader');
  execFileSync('gcc', ['-O2', '-o', loader, join(sourceDir, 'libbpf-loader.c'), '-lbpf'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const rounds = 10;
  const [progs, , libbpfUs] = execFileSync(loader, [obj, String(rounds)], { encoding: 'utf8' }).trim().split(' ').map(Number);
  ObjectCollection.loadFile(obj).close(); // vmlinux BTF for CO-RE is parsed once per process, as in the C loader
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    using c = ObjectCollection.load(readObjectFile(obj));
    if (Object.keys(c.programs).length !== progs) throw new Error('bench: bpfkit and libbpf loaded different programs');
    times.push((performance.now() - t0) * 1000);
  }
  const us = median(times);
  return { operation: `load a ${progs}-program object`, bpfkit: `${(us / 1000).toFixed(1)} ms`, c: `${(libbpfUs! / 1000).toFixed(1)} ms`, ratio: us / libbpfUs!, goal: 'report', met: true };
}
