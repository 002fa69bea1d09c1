// A request's cmd_flags (blk_opf_t) in words: the operation in the low 8 bits, modifier flags above. Bit numbers are
// this kernel's (enum req_op and enum req_flag_bits in its BTF, stable since 4.x for the flags we name).

const REQ_OP_MASK = 0xff;

/** Operation names as libbpf-tools print them, by this kernel's REQ_OP_* numbers. */
const OPS: Record<number, string> = {
  0: 'Read', 1: 'Write', 2: 'Flush', 3: 'Discard', 5: 'SecureErase', 7: 'ZoneAppend', 9: 'WriteZeroes',
  11: 'ZoneOpen', 13: 'ZoneClose', 15: 'ZoneFinish', 17: 'ZoneReset', 19: 'ZoneResetAll', 34: 'DrvIn', 35: 'DrvOut',
};

const bit = (n: number) => (1 << n) >>> 0;
const REQ_SYNC = bit(11);
const REQ_META = bit(12);
const REQ_FUA = bit(17);
const REQ_PREFLUSH = bit(18);
const REQ_RAHEAD = bit(19);

/** Modifier flags in the order libbpf-tools' biolatency -F prints them ("Idle-Sync-Write"). */
const FLAG_WORDS: Array<[number, string]> = [
  [bit(21), 'NoWait'], [bit(20), 'Background'], [REQ_RAHEAD, 'ReadAhead'], [REQ_PREFLUSH, 'PreFlush'],
  [REQ_FUA, 'FUA'], [bit(16), 'Integrity'], [bit(15), 'Idle'], [bit(14), 'NoMerge'], [bit(13), 'Priority'],
  [REQ_META, 'Metadata'], [REQ_SYNC, 'Sync'],
];

/** The bits that -F tells apart: the op and the named flags (others would make histograms with the same label). */
export const SHOWN_FLAGS_MASK = FLAG_WORDS.reduce((m, [b]) => m | b, REQ_OP_MASK) >>> 0;

/** "Idle-Sync-Write": the named flags, then the operation (biolatency -F). */
export function describeFlags(cmdFlags: number): string {
  const words = FLAG_WORDS.filter(([b]) => (cmdFlags & b) !== 0).map(([, w]) => `${w}-`);
  return words.join('') + (OPS[cmdFlags & REQ_OP_MASK] ?? 'Unknown');
}

/** The flags as a list of words for --json ({ op, flags }). */
export function flagsJson(cmdFlags: number): { op: string; flags: string[] } {
  return { op: OPS[cmdFlags & REQ_OP_MASK] ?? 'Unknown', flags: FLAG_WORDS.filter(([b]) => (cmdFlags & b) !== 0).map(([, w]) => w) };
}

/** The kernel's rwbs letters (blktrace style, biosnoop's T column): F for preflush, the op, then F A S M. */
export function rwbs(cmdFlags: number): string {
  let s = cmdFlags & REQ_PREFLUSH ? 'F' : '';
  switch (cmdFlags & REQ_OP_MASK) {
    case 0: s += 'R'; break;
    case 1: s += 'W'; break;
    case 2: s += 'F'; break;
    case 3: s += 'D'; break;
    case 5: s += 'DE'; break;
    default: s += 'N';
  }
  if (cmdFlags & REQ_FUA) s += 'F';
  if (cmdFlags & REQ_RAHEAD) s += 'A';
  if (cmdFlags & REQ_SYNC) s += 'S';
  if (cmdFlags & REQ_META) s += 'M';
  return s;
}
