// What the ring buffer and perf readers share: one consumer at a time (a callback or an async iterator),
// event-loop wake-ups, pausing when an iterator's queue is full, and closing exactly once.
import { ClosedError } from '../../sys/errors.js';
import { native } from '../../sys/native.js';
import { FileDescriptor } from '../fd.js';

export interface ReaderOptions {
  /** Hand records out as copies (safe to keep) instead of views into the shared buffer (valid during the callback). */
  copy?: boolean;
  /** Keep the Node process alive while the reader waits for records. Default true. */
  keepAlive?: boolean;
  /** Async iterator form: records queued (as copies) before the reader stops taking more from the kernel. Default 65536. */
  highWaterMark?: number;
}

const SYS_fcntl = 72;
const F_DUPFD_CLOEXEC = 1030;

/** A private duplicate of an fd, so the reader keeps working (and stays safe) even if the map object is closed first. */
export function duplicateFd(fd: number, what: string): FileDescriptor {
  const r = native.syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0);
  if (r < 0) throw new ClosedError(`${what}: cannot duplicate fd ${fd} (errno ${-r}); is the map closed?`, -r);
  return new FileDescriptor(r, what);
}

export abstract class RecordReader<T> implements AsyncIterable<T>, Disposable {
  protected readonly copy: boolean;
  protected readonly keepAlive: boolean;
  protected readonly highWaterMark: number;

  #queue: T[] = [];
  #head = 0;
  #iterating = false;
  #waiter: ((r: IteratorResult<T>) => void) | undefined;
  #closed = false;
  #polling = false;
  #kickScheduled = false;

  protected constructor(opts: ReaderOptions) {
    this.copy = opts.copy ?? false;
    this.keepAlive = opts.keepAlive ?? true;
    this.highWaterMark = Math.max(1, opts.highWaterMark ?? 65536);
  }

  /** True once close() ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Start or stop the kernel-side wake-ups (one poller per fd). */
  protected abstract setPolling(on: boolean): void;
  /** Takes every available record, delivering each through deliverTo*; returns how many were delivered. */
  protected abstract drain(): number;
  /** Unmaps buffers and closes fds. Called once. */
  protected abstract release(): void;
  /** Whether a record callback is installed. */
  protected abstract get hasCallback(): boolean;

  /** Iterator form: queue one record (already a copy). */
  protected enqueue(item: T): void {
    this.#queue.push(item);
  }

  /** Iterator form: the queue reached its limit; the drain loop stops taking records from the kernel. */
  protected get queueFull(): boolean {
    return this.#iterating && this.#queue.length - this.#head >= this.highWaterMark;
  }

  protected get iterating(): boolean {
    return this.#iterating;
  }

  /** Called by subclasses from the poller: drain, hand queued records to a waiting iterator, pause if full. */
  protected onReadable(): void {
    if (this.#closed) return;
    this.drain();
    this.#settle();
  }

  /** Starts delivering (callback installed or iterator started): polling on, plus one look right away. */
  protected activate(): void {
    this.#updatePolling();
    // Records may already be waiting, and a perf event's readiness may have been consumed before we polled it.
    if (!this.#kickScheduled) {
      this.#kickScheduled = true;
      setImmediate(() => {
        this.#kickScheduled = false;
        this.onReadable();
      });
    }
  }

  protected assertOpen(what: string): void {
    if (this.#closed) throw new ClosedError(`${what}: the reader is closed`);
  }

  protected assertNoIterator(): void {
    if (this.#iterating) throw new TypeError('this reader is being consumed by an async iterator; use one form at a time');
  }

  #updatePolling(): void {
    const want = !this.#closed && (this.hasCallback || (this.#iterating && !this.queueFull));
    if (want === this.#polling) return;
    this.#polling = want;
    this.setPolling(want);
  }

  #settle(): void {
    if (this.#waiter && this.#queue.length > this.#head) {
      const resolve = this.#waiter;
      this.#waiter = undefined;
      resolve({ value: this.#shift(), done: false });
    }
    this.#updatePolling();
  }

  #shift(): T {
    const item = this.#queue[this.#head]!;
    this.#queue[this.#head++] = undefined as T;
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    }
    return item;
  }

  /**
   * `for await (const record of reader)`: records arrive as copies. Breaking out of the loop ends the iteration
   * but leaves the reader open (records then stay in the kernel buffer until someone reads them).
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.hasCallback) throw new TypeError('this reader delivers records to a callback; use one form at a time');
    if (this.#iterating) throw new TypeError('this reader already has an active async iterator');
    this.#iterating = true;
    if (!this.#closed) this.activate();
    return {
      next: () => this.#next(),
      return: (): Promise<IteratorResult<T>> => {
        this.#endIteration();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  #next(): Promise<IteratorResult<T>> {
    if (!this.#iterating) return Promise.resolve({ value: undefined, done: true });
    if (this.#queue.length === this.#head && !this.#closed) this.drain();
    if (this.#queue.length > this.#head) {
      const value = this.#shift();
      this.#updatePolling();
      return Promise.resolve({ value, done: false });
    }
    if (this.#closed) {
      this.#iterating = false;
      return Promise.resolve({ value: undefined, done: true });
    }
    this.#updatePolling();
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  #endIteration(): void {
    this.#iterating = false;
    this.#queue = [];
    this.#head = 0;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.({ value: undefined, done: true });
    this.#updatePolling();
  }

  /** Re-evaluates polling after a callback was installed or removed. */
  protected callbackChanged(): void {
    if (this.hasCallback) this.activate();
    else this.#updatePolling();
  }

  /** Stops wake-ups and unmaps the buffers; views handed out earlier read as empty afterwards. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#updatePolling();
    this.release();
    // A waiting iterator ends; records already queued (copies) are still yielded first.
    if (this.#waiter) {
      const resolve = this.#waiter;
      this.#waiter = undefined;
      if (this.#queue.length > this.#head) resolve({ value: this.#shift(), done: false });
      else {
        this.#iterating = false;
        resolve({ value: undefined, done: true });
      }
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
