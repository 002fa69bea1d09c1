// `bpfkit gen types FILE.bpf.o`: TypeScript interfaces and codecs from the object's BTF, on stdout (or -o FILE).
import { writeFileSync } from 'node:fs';
import { generateTypes } from '../elf/gen-types.js';
import { readObjectFile } from '../elf/object.js';

const USAGE = `usage: bpfkit gen types FILE.bpf.o [--type STRUCT]... [-o OUT.ts]

Generates TypeScript interfaces and codecs for every map key and value, each global data section, and record
structs (struct event when present, plus each --type), from the object's BTF.
`;

export async function run(args: string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help') || args[0] !== 'types') {
    (args.includes('-h') || args.includes('--help') ? process.stdout : process.stderr).write(USAGE);
    return args.includes('-h') || args.includes('--help') ? 0 : 2;
  }
  let file: string | undefined;
  let out: string | undefined;
  const types: string[] = [];
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--type') types.push(args[++i] ?? '');
    else if (a === '-o') out = args[++i];
    else if (!file && !a.startsWith('-')) file = a;
    else {
      process.stderr.write(`bpfkit gen types: unexpected argument '${a}'\n\n${USAGE}`);
      return 2;
    }
  }
  if (!file) {
    process.stderr.write(USAGE);
    return 2;
  }
  const source = generateTypes(readObjectFile(file), { types });
  if (out) writeFileSync(out, source);
  else process.stdout.write(source);
  return 0;
}
