// Splits an attach point's text (`t:sched:sched_switch`, `profile:hz:99`, `uprobe:/bin/sh:main+4`) into its
// provider and parts, with bpftrace 0.17's arity checks and messages. Existence checks (does the tracepoint
// exist?) belong to the resolve pass, not here.
import type { AttachPoint, Provider } from './ast.js';

export type AttachPointParts = Omit<AttachPoint, 'kind' | 'raw' | 'range' | 'loc'>;

const ALIASES: Record<string, Provider> = {
  BEGIN: 'BEGIN', END: 'END',
  tracepoint: 'tracepoint', t: 'tracepoint',
  profile: 'profile', p: 'profile',
  interval: 'interval', i: 'interval',
  software: 'software', s: 'software',
  hardware: 'hardware', h: 'hardware',
  kprobe: 'kprobe', k: 'kprobe',
  kretprobe: 'kretprobe', kr: 'kretprobe',
  uprobe: 'uprobe', u: 'uprobe',
  uretprobe: 'uretprobe', ur: 'uretprobe',
  usdt: 'usdt', U: 'usdt',
  rawtracepoint: 'rawtracepoint', rt: 'rawtracepoint',
  kfunc: 'kfunc', f: 'kfunc', fentry: 'kfunc',
  kretfunc: 'kretfunc', fr: 'kretfunc', fexit: 'kretfunc',
  watchpoint: 'watchpoint', w: 'watchpoint',
  asyncwatchpoint: 'asyncwatchpoint', aw: 'asyncwatchpoint',
  iter: 'iter', it: 'iter',
};

/** Splits on `:` outside double quotes; quotes are removed, `\x` escapes kept as `x`. */
function splitParts(raw: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\\' && i + 1 < raw.length) { cur += raw[++i]; continue; }
    if (c === '"') { quoted = !quoted; continue; }
    if (c === ':' && !quoted) { parts.push(cur); cur = ''; continue; }
    cur += c;
  }
  parts.push(cur);
  return parts;
}

/** strtoull-like: decimal, 0x hex or 0 octal; undefined when not a whole number. */
function parseNumber(s: string): number | undefined {
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) return Number.parseInt(s.slice(2), 16);
  if (/^0[0-7]+$/.test(s)) return Number.parseInt(s.slice(1), 8);
  if (/^[0-9]+$/.test(s)) return Number(s);
  return undefined;
}

const hasWildcard = (...s: (string | undefined)[]): boolean => s.some((x) => x !== undefined && /[*?]/.test(x));

/** Function with an optional `+offset`. */
function funcAndOffset(s: string): { func: string; offset?: number } | { error: string } {
  const plus = s.indexOf('+');
  if (plus < 0) return { func: s };
  const offset = parseNumber(s.slice(plus + 1));
  if (offset === undefined) return { error: `invalid offset '${s.slice(plus + 1)}' in attach point` };
  return { func: s.slice(0, plus), offset };
}

export function parseAttachPoint(raw: string): { value: AttachPointParts } | { error: string } {
  const parts = splitParts(raw);
  const head = parts[0]!;
  const provider = ALIASES[head];
  if (!provider) return { error: `Invalid probe type: ${head}` };
  const args = parts.slice(1);
  const n = args.length;
  const done = (p: Omit<AttachPointParts, 'provider' | 'name' | 'wildcard'>, shown: string[] = args): { value: AttachPointParts } => ({
    value: {
      provider,
      ...p,
      name: [provider, ...shown].join(':'),
      wildcard: hasWildcard(p.target, p.func, p.ns),
    },
  });
  const arity = (what: string): { error: string } => ({ error: `${provider} probe type requires ${what}` });

  switch (provider) {
    case 'BEGIN':
    case 'END':
      return n === 0 ? done({}) : arity('0 arguments');
    case 'tracepoint':
      return n === 2 ? done({ target: args[0]!, func: args[1]! }) : arity('2 arguments');
    case 'rawtracepoint':
      if (n === 1) return done({ func: args[0]! });
      if (n === 2) return done({ target: args[0]!, func: args[1]! });
      return arity('1 or 2 arguments');
    case 'profile':
    case 'interval': {
      if (n !== 2) return arity('2 arguments');
      const freq = parseNumber(args[1]!);
      if (freq === undefined) return { error: `invalid ${provider} rate '${args[1]}': expected a whole number` };
      return done({ unit: args[0]!, freq });
    }
    case 'software':
    case 'hardware': {
      if (n !== 1 && n !== 2) return arity('1 or 2 arguments');
      if (n === 1) return done({ func: args[0]! });
      const freq = parseNumber(args[1]!);
      if (freq === undefined) return { error: `invalid ${provider} count '${args[1]}': expected a whole number` };
      return done({ func: args[0]!, freq });
    }
    case 'kprobe':
    case 'kretprobe': {
      if (n !== 1) return arity('1 argument');
      const fo = funcAndOffset(args[0]!);
      if ('error' in fo) return fo;
      return done(fo, [fo.func + (fo.offset !== undefined ? `+${fo.offset}` : '')]);
    }
    case 'uprobe':
    case 'uretprobe': {
      if (n !== 2) return arity('2 arguments');
      const fo = funcAndOffset(args[1]!);
      if ('error' in fo) return fo;
      return done({ target: args[0]!, ...fo }, [args[0]!, fo.func + (fo.offset !== undefined ? `+${fo.offset}` : '')]);
    }
    case 'usdt':
      if (n === 2) return done({ target: args[0]!, func: args[1]! });
      if (n === 3) return done({ target: args[0]!, ns: args[1]!, func: args[2]! });
      return arity('2 or 3 arguments');
    case 'kfunc':
    case 'kretfunc':
      if (n === 1) return done({ func: args[0]! });
      if (n === 2) return done({ target: args[0]!, func: args[1]! });
      return arity('1 or 2 arguments');
    case 'watchpoint':
    case 'asyncwatchpoint': {
      if (n !== 3) return arity('3 arguments');
      const addr = parseNumber(args[0]!);
      const len = parseNumber(args[1]!);
      if (addr === undefined || len === undefined) return { error: `invalid ${provider} address or length` };
      return done({ target: args[0]!, offset: addr, len, mode: args[2]! }, [String(addr), String(len), args[2]!]);
    }
    case 'iter':
      if (n === 1) return done({ func: args[0]! });
      if (n === 2) return done({ func: args[0]!, target: args[1]! });
      return { error: 'iter probe type takes 2 arguments (1 optional)' };
  }
}
