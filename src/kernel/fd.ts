// An owned file descriptor that is closed exactly once: by close(), by `using`, or when its owner is collected.
import { native } from '../sys/native.js';
import { SYS } from '../sys/constants.js';
import { ClosedError } from '../sys/errors.js';

const leaked = new FinalizationRegistry<number>((fd) => {
  native.syscall(SYS.close, fd);
});

export class FileDescriptor implements Disposable {
  #fd: number;
  readonly token = {};

  constructor(fd: number, readonly what = 'fd') {
    if (!Number.isInteger(fd) || fd < 0) throw new RangeError(`invalid fd ${fd} for ${what}`);
    this.#fd = fd;
    leaked.register(this, fd, this.token);
  }

  /** The raw fd number; throws if already closed. */
  get value(): number {
    if (this.#fd < 0) throw new ClosedError(`${this.what} is closed`);
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  close(): void {
    if (this.#fd < 0) return;
    leaked.unregister(this.token);
    native.syscall(SYS.close, this.#fd);
    this.#fd = -1;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
