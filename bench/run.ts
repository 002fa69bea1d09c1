// `npm run bench`: bpfkit against C programs doing the same syscalls, measured in the same run, as ratios.
import { CBuild } from './compile.js';
import { benchMaps } from './maps.js';
import { printTable, type Row } from './report.js';
import { benchRingBuffer } from './ringbuf.js';
import { benchBtfParse, benchObjectLoad } from './object.js';

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('bench: needs root (bpf() is limited to root on this machine)');
    process.exit(1);
  }
  const started = Date.now();
  using build = new CBuild();
  const mapsBinary = build.compile('maps');
  const ringBinary = build.compile('ringbuf', ['-lbpf']);
  const rows: Row[] = [];
  console.error('bench: map lookup/update ...');
  const maps = benchMaps(mapsBinary);
  rows.push(...maps.rows);
  console.error('bench: ring buffer ...');
  rows.push(...(await benchRingBuffer(ringBinary)));
  console.error('bench: BTF parse and object load ...');
  rows.push(...benchBtfParse(build.compile('btf', ['-lbpf'])));
  rows.push(benchObjectLoad());
  console.log();
  printTable(rows);
  console.log();
  for (const note of maps.notes) console.log(`  ${note}`);
  console.log(`  times are CPU time of the measuring thread/process, medians of alternating trials; total ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

await main();
