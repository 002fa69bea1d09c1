// Every subcommand, in the order `bpfkit` lists them.
import { tools } from '../tools/catalog/index.js';
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

register({
  name: 'load',
  summary: 'load a clang-built .bpf.o, attach its programs by section name, stream ring buffer records',
  run: async (args) => (await import('./load.js')).run(args),
});

register({
  name: 'inspect',
  summary: 'show the programs, maps, globals and CO-RE relocations of a .bpf.o without loading it',
  run: async (args) => (await import('./inspect.js')).run(args),
});

register({
  name: 'gen',
  summary: 'generate TypeScript types and codecs from a .bpf.o\'s BTF (bpfkit gen types FILE.bpf.o)',
  run: async (args) => (await import('./gen-types.js')).run(args),
});

// The classic tools (execsnoop, opensnoop, biolatency, ...): one command each.
for (const tool of tools) {
  register({ name: tool.name, summary: tool.summary, group: 'tool', run: async (args) => (await tool.load()).main(args) });
}
