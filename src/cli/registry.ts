// Every subcommand, in the order `bpfkit` lists them.
import { register } from './commands.js';

register({
  name: 'features',
  summary: 'show which program types, map types and attach points this kernel supports',
  run: async (args) => (await import('./features.js')).run(args),
});

register({
  name: 'trace',
  summary: 'run a bpftrace script, compiled to eBPF in TypeScript',
  run: async (args) => (await import('./trace.js')).run(args),
});
