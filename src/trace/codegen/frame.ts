// Where a probe's values live while it runs: 8-byte stack slots for integers, and a per-CPU scratch buffer
// (a map value reached through R9) for strings, tuples, map keys and event records, which would not fit the
// 512-byte stack.

export class FrameError extends Error {
  override name = 'FrameError';
}

const STACK_LIMIT = 512;
/** Stack bytes that memory regions may use; the rest stays for 8-byte integer slots. */
const STACK_MEM_BUDGET = 320;
/** The scratch buffer's size cap per program (a per-CPU array value). */
export const SCRATCH_LIMIT = 32 * 1024;

export class Frame {
  private stackTop = 0;
  private scratchTop = 0;
  /** High-water mark of scratch use, the size the scratch map's value needs. */
  scratchUsed = 0;

  /** A fresh 8-byte stack slot; returns its offset from R10 (negative). */
  slot(): number {
    this.stackTop += 8;
    if (this.stackTop > STACK_LIMIT) throw new FrameError('the probe needs more than 512 bytes of stack (too many variables or temporaries)');
    return -this.stackTop;
  }

  /** A region of the scratch buffer, 8-byte aligned; returns its offset from R9. */
  scratch(size: number): number {
    const off = this.scratchTop;
    this.scratchTop += Math.ceil(Math.max(size, 8) / 8) * 8;
    if (this.scratchTop > SCRATCH_LIMIT) throw new FrameError(`the probe needs more than ${SCRATCH_LIMIT} bytes of scratch memory`);
    this.scratchUsed = Math.max(this.scratchUsed, this.scratchTop);
    return off;
  }

  /**
   * Memory for a string, tuple, key or record: on the stack while it has room (no scratch-buffer lookup needed,
   * and the verifier tracks stack bytes precisely), else in the scratch buffer. Negative offsets are R10-relative,
   * non-negative ones R9-relative.
   */
  mem(size: number): number {
    const rounded = Math.ceil(Math.max(size, 8) / 8) * 8;
    if (this.stackTop + rounded <= STACK_MEM_BUDGET) {
      this.stackTop += rounded;
      return -this.stackTop;
    }
    return this.scratch(rounded);
  }

  /** Remembers the current allocation so a statement's temporaries can be released after it. */
  mark(): { stack: number; scratch: number } {
    return { stack: this.stackTop, scratch: this.scratchTop };
  }

  release(m: { stack: number; scratch: number }): void {
    this.stackTop = m.stack;
    this.scratchTop = m.scratch;
  }
}
