// printf() as bpftrace 0.17 prints it. bpftrace finds conversion tokens with a pattern (below), hands each token
// with its argument to C snprintf, and copies all other text verbatim: `%%`, `%i`, `%+d` and other things the
// pattern does not match are printed as written. The integer is passed as a 64-bit value, so a conversion without
// `l`/`ll`/`j`/`z`/`t` reads only its low 32 bits (`%d` of 2^33 + 5 prints 5), `h` the low 16 and `hh` the low 8.
//
// The format string is expected with its escapes (\n, \t, \", \\, \xNN...) already turned into characters by the
// parser; this module does no escape processing.

/** An already-decoded printf argument: integers as bigint (only their 64 bits matter), strings, or buf() bytes. */
export type PrintfArg = bigint | string | { buffer: Uint8Array };

const TOKEN = /%(-?)([0-9]*)(?:\.([0-9]+))?(s|rx|r|c|(?:hh|h|ll|l|j|z|t)?[duoxXp])/g;

export class PrintfError extends Error {
  override name = 'PrintfError';
}

/** The conversion tokens bpftrace 0.17 sees in a format string (one argument each). */
export function printfTokens(format: string): string[] {
  return [...format.matchAll(TOKEN)].map((m) => m[0]);
}

/** Formats like bpftrace 0.17's printf: `args` must match the tokens one for one (the type checker's job). */
export function formatPrintf(format: string, args: readonly PrintfArg[]): string {
  let out = '';
  let last = 0;
  let n = 0;
  for (const m of format.matchAll(TOKEN)) {
    out += format.slice(last, m.index);
    last = m.index! + m[0].length;
    if (n >= args.length) throw new PrintfError(`printf: missing argument for ${m[0]} in "${format}"`);
    const arg = args[n++]!;
    out += convert(m[0], m[1] === '-', m[2]!, m[3], m[4]!, arg);
  }
  return out + format.slice(last);
}

function convert(token: string, left: boolean, widthText: string, precText: string | undefined, conv: string,
  arg: PrintfArg): string {
  // Leading zeros of the digits are C's '0' flag; the rest is the width.
  const zero = /^0/.test(widthText);
  const width = widthText === '' ? 0 : Number(widthText.replace(/^0+/, '') || '0');
  const precision = precText === undefined ? undefined : Number(precText);
  const spec: Spec = { left, zero, width, precision };
  if (conv === 's') {
    if (typeof arg !== 'string') throw new PrintfError(`printf: ${token} expects a string`);
    return pad(precision === undefined ? arg : truncateBytes(arg, precision), spec, false);
  }
  if (conv === 'r' || conv === 'rx') {
    const bytes = typeof arg === 'object' ? arg.buffer : typeof arg === 'string' ? new TextEncoder().encode(arg) : null;
    if (!bytes) throw new PrintfError(`printf: ${token} expects a buffer`);
    const text = hexFormatBuffer(bytes, conv === 'r');
    return pad(precision === undefined ? text : text.slice(0, precision), spec, false);
  }
  if (typeof arg !== 'bigint') throw new PrintfError(`printf: ${token} expects an integer`);
  const bits = BigInt.asUintN(64, arg);
  if (conv === 'c') return pad(String.fromCharCode(Number(bits & 0xffn)), spec, false);
  const kind = conv[conv.length - 1]!;
  if (kind === 'p') return formatPointer(bits, spec);
  const length = conv.slice(0, -1);
  const size = length === 'hh' ? 8 : length === 'h' ? 16 : length === '' ? 32 : 64;
  const signed = kind === 'd';
  const value = signed ? BigInt.asIntN(size, bits) : BigInt.asUintN(size, bits);
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  let digits = kind === 'x' ? magnitude.toString(16) : kind === 'X' ? magnitude.toString(16).toUpperCase()
    : kind === 'o' ? magnitude.toString(8) : magnitude.toString(10);
  if (precision !== undefined) {
    // C: an explicit precision is the minimum digit count, and precision 0 prints nothing for the value 0.
    if (precision === 0 && magnitude === 0n) digits = '';
    else digits = digits.padStart(precision, '0');
  }
  return padNumber(negative ? '-' : '', digits, { ...spec, zero: spec.zero && precision === undefined });
}

interface Spec {
  left: boolean;
  zero: boolean;
  width: number;
  precision: number | undefined;
}

function formatPointer(bits: bigint, spec: Spec): string {
  // glibc prints a null pointer as "(nil)" and others as %#lx.
  if (bits === 0n) return pad('(nil)', spec, false);
  let digits = bits.toString(16);
  if (spec.precision !== undefined) digits = digits.padStart(spec.precision, '0');
  return padNumber('0x', digits, { ...spec, zero: spec.zero && spec.precision === undefined });
}

function padNumber(prefix: string, digits: string, spec: Spec): string {
  const len = prefix.length + digits.length;
  if (len >= spec.width) return prefix + digits;
  if (spec.left) return prefix + digits + ' '.repeat(spec.width - len);
  if (spec.zero) return prefix + '0'.repeat(spec.width - len) + digits;
  return ' '.repeat(spec.width - len) + prefix + digits;
}

/** Pads to the width counted in bytes, as C does. */
function pad(text: string, spec: Spec, _numeric: boolean): string {
  const len = byteLength(text);
  if (len >= spec.width) return text;
  const fill = ' '.repeat(spec.width - len);
  return spec.left ? text + fill : fill + text;
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function truncateBytes(text: string, max: number): string {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= max ? text : bytes.subarray(0, max).toString('utf8');
}

/** buf() as %r prints it: printable ASCII kept (with `keepAscii`), every other byte as \xNN. */
export function hexFormatBuffer(bytes: Uint8Array, keepAscii: boolean): string {
  let out = '';
  for (const b of bytes) {
    if (keepAscii && b >= 0x20 && b <= 0x7e) out += String.fromCharCode(b);
    else out += '\\x' + b.toString(16).padStart(2, '0');
  }
  return out;
}
