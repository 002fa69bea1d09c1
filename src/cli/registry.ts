// Every subcommand, in the order `bpfkit` lists them.
import { register } from './commands.js';

register({
  name: 'features',
  summary: 'show which program types, map types and attach points this kernel supports',
  run: async (args) => (await import('./features.js')).run(args),
});
