// Releasing file descriptors whose last close is slow (tracepoint perf events: an RCU grace period each, serialised
// by the kernel's event_mutex, so closing them in parallel does not help). The programs are already detached; what
// is left is bookkeeping. A child process inherits them and waits for this process to exit; then it exits too and
// the kernel releases them while that child exits, reparented to init. It must outlive our own close of the copies:
// otherwise our close is the last one and pays the whole cost.
import { spawn } from 'node:child_process';
import { native } from '../../sys/native.js';

const SYS_close = 3;

/** Closes fds now when there are few, else hands them to a background process. Returns how they went. */
export function releaseFds(fds: readonly number[], inlineLimit = 1): 'none' | 'inline' | 'background' {
  if (fds.length === 0) return 'none';
  if (fds.length <= inlineLimit || !handOff(fds)) {
    for (const fd of fds) native.syscall(SYS_close, fd);
    return 'inline';
  }
  for (const fd of fds) native.syscall(SYS_close, fd);
  return 'background';
}

function handOff(fds: readonly number[]): boolean {
  try {
    // GNU tail polls for our pid every 50 ms and exits once we are gone.
    const child = spawn('tail', ['-s', '0.05', `--pid=${process.pid}`, '-f', '/dev/null'],
      { stdio: ['ignore', 'ignore', 'ignore', ...fds], detached: true });
    child.on('error', () => {});
    child.unref();
    return child.pid !== undefined;
  } catch {
    return false;
  }
}
