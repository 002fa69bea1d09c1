// `bpfkit features`: what this kernel supports, probed live (program types, map types, attach points, helpers).
import { features } from '../kernel/features.js';
import { requireRoot } from './errors.js';

export async function run(args: string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write('usage: bpfkit features [--json]\n\nProbes the running kernel and lists what bpfkit can load and attach here.\n');
    return 0;
  }
  if (!requireRoot()) return 1;
  const rows = features.summary();
  if (args.includes('--json')) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return 0;
  }
  const width = Math.max(...rows.map((r) => r.feature.length));
  for (const r of rows) {
    const mark = r.supported ? 'yes' : 'no ';
    process.stdout.write(`${r.feature.padEnd(width)}  ${mark}${r.supported || !r.reason ? '' : `  (${r.reason})`}\n`);
  }
  return 0;
}
