#!/usr/bin/env node
// `bpfkit`: dispatches to a subcommand; with no arguments lists them.
import { commands } from './commands.js';
import './registry.js';
import { reportFatal } from './errors.js';

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const list = (group: 'command' | 'tool') => commands.filter((c) => (c.group ?? 'command') === group)
    .map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
  const tools = list('tool');
  return `usage: bpfkit <command> [options]\n\ncommands:\n${list('command')}\n` +
    (tools ? `\ntools:\n${tools}\n` : '') +
    `\nRun 'bpfkit <command> -h' for a command's options.\n`;
}

// A closed pipe (`bpfkit ... | head`) ends the command quietly, as it does for other Unix tools.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help') {
    process.stdout.write(usage());
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`bpfkit: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = reportFatal(err);
  },
);
