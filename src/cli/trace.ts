// `bpfkit trace`: the bpftrace-compatible tracer (src/trace/cli.ts does the work).
export async function run(args: string[]): Promise<number> {
  return (await import('../trace/cli.js')).main(args);
}
