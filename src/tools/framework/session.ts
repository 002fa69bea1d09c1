// A tool's kernel side: load its CollectionSpec, attach its programs, read its ring buffer on the event loop, and
// let go of all of it when the tool ends. Tools attach with tp_btf (BTF tracepoints): they detach in ~0.1 ms, where
// a perf-event tracepoint costs ~75 ms each in the kernel, so Ctrl-C returns promptly.
import { tpBtf, tpBtfTarget, type TracingTarget } from '../../kernel/attach/tp-btf.js';
import { Collection } from '../../kernel/collection.js';
import type { BpfMap } from '../../kernel/map.js';
import type { Program } from '../../kernel/program.js';
import { RingBufferReader } from '../../kernel/readers/ringbuf.js';
import type { CollectionSpec, ProgramSpec } from '../../spec/collection.js';
import type { Instruction } from '../../isa/instruction.js';
import type { ToolContext } from './tool.js';
import { LOST, lostMessage } from './lost.js';

export const LICENSE = 'GPL';

/** A tp_btf program on raw tracepoint `event`: ctx is an array of u64 arguments, BTF-typed (direct loads allowed). */
export function tpBtfProgram(name: string, event: string, instructions: Instruction[]): ProgramSpec {
  const target: TracingTarget = tpBtfTarget(event);
  return { name, instructions, license: LICENSE, ...target };
}

export class ToolSession {
  readonly collection: Collection;
  readonly #closers: Array<() => void> = [];
  /** Run after the programs are detached and the ring buffers drained, while the maps are still open. */
  readonly #finals: Array<() => void> = [];

  /** Loads spec (maps and programs). Everything is released when the tool ends. */
  constructor(readonly ctx: ToolContext, spec: CollectionSpec) {
    this.collection = Collection.load(spec);
    ctx.defer(() => this.close());
  }

  map(name: string): BpfMap {
    return this.collection.map(name);
  }

  program(name: string): Program {
    return this.collection.program(name);
  }

  /** Attaches a tpBtfProgram. */
  tpBtf(prog: string, event?: string): void {
    const link = tpBtf(this.program(prog), event);
    this.#closers.push(() => link.close());
  }

  /** Registers something else attached (uprobe, perf event links...) to be closed with the session. */
  own(resource: { close(): void }): void {
    this.#closers.push(() => resource.close());
  }

  /** Delivers each record of ring buffer map `name` on the event loop (the view is valid during the call only). */
  ringbuf(name: string, onRecord: (record: DataView) => void): RingBufferReader {
    const reader = new RingBufferReader(this.map(name), { keepAlive: true });
    // The raw form spares the reader's Uint8Array per record: one DataView per record is all the tools need.
    const deliver = (view: DataView, offset: number, length: number) => onRecord(new DataView(view.buffer, view.byteOffset + offset, length));
    reader.onRawRecord(deliver);
    this.#closers.push(() => {
      reader.readAvailableRaw(deliver);
      reader.close();
    });
    return reader;
  }

  /**
   * Reports records the ring buffer dropped (counted by emitCountLost in map `name`) on stderr: new losses at most
   * once a second while running, the rest at the end. The numbers in all messages add up to the total.
   */
  reportLost(name = LOST): void {
    const counter = this.map(name);
    const key = new Uint8Array(4);
    let reported = 0n;
    const report = () => {
      const value = counter.lookup(key);
      const lost = value ? new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0, true) : 0n;
      if (lost > reported) process.stderr.write(lostMessage(this.ctx.name, lost - reported));
      reported = lost;
    };
    const timer = setInterval(report, 1000);
    timer.unref(); // never what keeps a tool running
    this.#closers.push(() => clearInterval(timer));
    this.#finals.push(report);
  }

  /** Detaches everything (programs stop at once), reports what is left to report, closes maps and programs. */
  close(): void {
    for (const c of this.#closers.splice(0).reverse()) {
      try {
        c();
      } catch {
        // best effort
      }
    }
    for (const f of this.#finals.splice(0)) {
      try {
        f();
      } catch {
        // best effort
      }
    }
    this.collection.close();
  }
}
