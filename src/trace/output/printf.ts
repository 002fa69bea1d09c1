// printf() as bpftrace 0.17 prints it.
//
// bpftrace finds tokens with a pattern (TOKEN below) and cuts the format after each one: part i is the text since
// the previous token plus token i, and goes through C snprintf with argument i alone; the text after the last
// token is copied verbatim. Consequences kept here on purpose:
// - in a part, `%%` prints `%`; after the last token it stays `%%`;
// - the FIRST conversion of a part takes the argument, even one the pattern skipped (`%i %d` gives it to `%i`);
// - the integer travels as a 64-bit register, so a conversion without `l`/`ll`/`j`/`z`/`t` reads its low 32 bits
//   (`%d` of 2^33 + 5 prints 5), `h` the low 16, `hh` the low 8.
// A second conversion inside one part reads garbage in bpftrace; here it prints as written (a known difference).
//
// The format string is expected with its escapes (\n, \t, \", \\, \xNN...) already turned into characters by the
// parser; this module does no escape processing.

/** An already-decoded printf argument: integers as bigint (only their 64 bits matter), strings, or buf() bytes. */
export type PrintfArg = bigint | string | { buffer: Uint8Array };

// The tokens bpftrace 0.17 recognises, each taking one argument.
const TOKEN = /%-?[0-9]*(?:\.[0-9]+)?(?:s|rx|r|c|(?:hh|h|ll|l|j|z|t)?[duoxXp])/g;

// One C conversion: flags, width, precision, length, conversion.
const C_CONVERSION = /%([-+ #0]*)([0-9]*)(?:\.([0-9]*))?(hh|h|ll|l|L|q|j|z|Z|t)?([a-zA-Z%])/g;

export class PrintfError extends Error {
  override name = 'PrintfError';
}

/** The tokens bpftrace 0.17 sees in a format string: one argument each. */
export function printfTokens(format: string): string[] {
  return [...format.matchAll(TOKEN)].map((m) => m[0]);
}

/** Formats like bpftrace 0.17's printf; `args` must match printfTokens(format) one for one. */
/** Format strings cut into their pieces once: a hot printf probe formats the same string for every event. */
const piecesCache = new Map<string, string[]>();

function piecesOf(format: string): string[] {
  let parts = piecesCache.get(format);
  if (parts) return parts;
  parts = [];
  let last = 0;
  for (const m of format.matchAll(TOKEN)) {
    const end = m.index! + m[0].length;
    parts.push(format.slice(last, end));
    last = end;
  }
  if (last !== format.length) parts.push(format.slice(last));
  if (piecesCache.size < 4096) piecesCache.set(format, parts);
  return parts;
}

export function formatPrintf(format: string, args: readonly PrintfArg[]): string {
  const parts = piecesOf(format);
  if (args.length > parts.length) {
    throw new PrintfError(`printf: ${args.length} arguments for ${printfTokens(format).length} tokens in "${format}"`);
  }
  let out = '';
  let i = 0;
  for (; i < args.length; i++) {
    let part = parts[i]!;
    let arg = args[i]!;
    const buffer = /%rx?$/.exec(part);
    if (buffer) {
      // bpftrace renders the buffer first and prints it with %s.
      const bytes = typeof arg === 'object' ? arg.buffer : typeof arg === 'string' ? new TextEncoder().encode(arg) : null;
      if (!bytes) throw new PrintfError(`printf: ${buffer[0]} expects a buffer`);
      arg = hexFormatBuffer(bytes, buffer[0] === '%r');
      part = part.replace(/%rx?/g, '%s');
    }
    out += cFormat(part, arg);
  }
  if (i < parts.length) out += parts[i];
  return out;
}

interface Spec {
  left: boolean;
  zero: boolean;
  plus: boolean;
  space: boolean;
  alt: boolean;
  width: number;
  precision: number | undefined;
}

/** snprintf(part, arg) for a part holding one argument, as glibc on x86-64 prints it. */
function cFormat(part: string, arg: PrintfArg): string {
  let used = false;
  return part.replace(C_CONVERSION, (whole: string, flags: string, widthText: string, precText: string | undefined,
    length: string | undefined, conv: string) => {
    if (conv === '%') return whole === '%%' ? '%' : whole;
    if (used || !'diuoxXcsp'.includes(conv)) return whole; // garbage in bpftrace: keep as written
    used = true;
    const spec: Spec = {
      left: flags.includes('-'),
      zero: flags.includes('0'),
      plus: flags.includes('+'),
      space: flags.includes(' '),
      alt: flags.includes('#'),
      width: widthText === '' ? 0 : Number(widthText),
      precision: precText === undefined ? undefined : Number(precText || '0'),
    };
    return convert(whole, length ?? '', conv, spec, arg);
  });
}

function convert(token: string, length: string, conv: string, spec: Spec, arg: PrintfArg): string {
  const { precision } = spec;
  if (conv === 's') {
    if (typeof arg !== 'string') throw new PrintfError(`printf: ${token} expects a string`);
    return pad(precision === undefined ? arg : truncateBytes(arg, precision), spec);
  }
  if (typeof arg !== 'bigint') throw new PrintfError(`printf: ${token} expects an integer`);
  const bits = BigInt.asUintN(64, arg);
  if (conv === 'c') return pad(String.fromCharCode(Number(bits & 0xffn)), spec);
  if (conv === 'p') return formatPointer(bits, spec);
  const size = length === 'hh' ? 8 : length === 'h' ? 16 : length === '' ? 32 : 64;
  const signed = conv === 'd' || conv === 'i';
  const value = signed ? BigInt.asIntN(size, bits) : BigInt.asUintN(size, bits);
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  let digits = conv === 'x' ? magnitude.toString(16) : conv === 'X' ? magnitude.toString(16).toUpperCase()
    : conv === 'o' ? magnitude.toString(8) : magnitude.toString(10);
  if (precision !== undefined) {
    // C: an explicit precision is the minimum digit count, and precision 0 prints nothing for the value 0.
    if (precision === 0 && magnitude === 0n) digits = '';
    else digits = digits.padStart(precision, '0');
  }
  let prefix = negative ? '-' : signed && spec.plus ? '+' : signed && spec.space ? ' ' : '';
  if (spec.alt && magnitude !== 0n) {
    if (conv === 'x') prefix += '0x';
    else if (conv === 'X') prefix += '0X';
    else if (conv === 'o' && !digits.startsWith('0')) digits = '0' + digits;
  }
  return padNumber(prefix, digits, { ...spec, zero: spec.zero && precision === undefined });
}

function formatPointer(bits: bigint, spec: Spec): string {
  // glibc prints a null pointer as "(nil)" and others as %#lx.
  if (bits === 0n) return pad('(nil)', spec);
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
function pad(text: string, spec: Spec): string {
  const len = Buffer.byteLength(text, 'utf8');
  if (len >= spec.width) return text;
  const fill = ' '.repeat(spec.width - len);
  return spec.left ? text + fill : fill + text;
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
