// Turns any error into one clear line on stderr (never a stack trace unless BPFKIT_DEBUG is set).
import { BpfError, PermissionError } from '../sys/errors.js';

export function reportFatal(err: unknown): number {
  if (process.env.BPFKIT_DEBUG) console.error(err);
  else if (err instanceof PermissionError) process.stderr.write(`bpfkit: ${err.message}\n`);
  else if (err instanceof BpfError) process.stderr.write(`bpfkit: ${err.message}\n`);
  else if (err instanceof Error) process.stderr.write(`bpfkit: ${err.message}\n`);
  else process.stderr.write(`bpfkit: ${String(err)}\n`);
  return 1;
}

/** The one-line refusal every command gives when not run as root. */
export function requireRoot(): boolean {
  if (process.getuid?.() === 0) return true;
  process.stderr.write('bpfkit: must run as root (bpf() needs CAP_BPF and CAP_PERFMON; try sudo)\n');
  return false;
}
