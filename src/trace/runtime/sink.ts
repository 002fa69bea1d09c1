// Where a script's output goes (stdout or -o FILE) and how it is buffered (-B line|full|none).
// Writes are synchronous so output order is exact and nothing is lost when the process ends.
import { closeSync, openSync, writeSync } from 'node:fs';

export type BufferingMode = 'line' | 'full' | 'none';

export interface OutputSink {
  write(text: string): void;
  /** Writes out everything buffered. */
  flush(): void;
  close(): void;
}

const FULL_BUFFER_BYTES = 64 * 1024;

/**
 * A sink on a file descriptor. `line`: text is written at every flush() (the runtime flushes after each batch of
 * ring buffer records, so every complete line appears promptly, in one write per batch). `full`: only once 64 KiB
 * are pending, and at close. `none`: every write goes out at once.
 */
export class FdSink implements OutputSink {
  #pending: string[] = [];
  #pendingBytes = 0;
  #closed = false;

  constructor(private readonly fd: number, private readonly mode: BufferingMode = 'line', private readonly ownsFd = false) {}

  /** -o FILE: truncates or creates the file. */
  static file(path: string, mode: BufferingMode = 'line'): FdSink {
    return new FdSink(openSync(path, 'w'), mode, true);
  }

  write(text: string): void {
    if (this.#closed || text === '') return;
    if (this.mode === 'none') {
      writeAll(this.fd, text);
      return;
    }
    this.#pending.push(text);
    this.#pendingBytes += text.length;
    if (this.mode === 'full' && this.#pendingBytes >= FULL_BUFFER_BYTES) this.#writePending();
  }

  flush(): void {
    if (this.mode === 'line') this.#writePending();
  }

  /** Writes out everything, whatever the mode (at exit). */
  flushAll(): void {
    this.#writePending();
  }

  close(): void {
    if (this.#closed) return;
    this.#writePending();
    this.#closed = true;
    if (this.ownsFd) closeSync(this.fd);
  }

  #writePending(): void {
    if (this.#pending.length === 0) return;
    const text = this.#pending.join('');
    this.#pending = [];
    this.#pendingBytes = 0;
    writeAll(this.fd, text);
  }
}

/** writeSync until all bytes are out; waits out EAGAIN on non-blocking pipes. */
function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        continue;
      }
      // The reader went away (e.g. `| head`): drop output rather than crash the tracer.
      if (code === 'EPIPE') return;
      throw err;
    }
  }
}

/** A sink that keeps everything in memory (tests, embedding). */
export class StringSink implements OutputSink {
  text = '';
  write(text: string): void {
    this.text += text;
  }
  flush(): void {}
  close(): void {}
}
