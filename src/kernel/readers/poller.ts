// Event-loop readiness for one fd (libuv poll, epoll underneath). Starting and stopping are idempotent.
import { native } from '../../sys/native.js';

export class FdPoller {
  #handle: object | undefined;

  constructor(
    private readonly fd: number,
    private readonly onReadable: () => void,
    private readonly keepAlive: boolean,
  ) {}

  get active(): boolean {
    return this.#handle !== undefined;
  }

  start(): void {
    if (this.#handle) return;
    this.#handle = native.pollStart(this.fd, (status) => {
      // A negative status is a libuv error on the fd (e.g. it was closed under us): stop rather than spin.
      if (status < 0) {
        this.stop();
        return;
      }
      this.onReadable();
    }, this.keepAlive);
  }

  stop(): void {
    if (!this.#handle) return;
    native.pollStop(this.#handle);
    this.#handle = undefined;
  }
}
