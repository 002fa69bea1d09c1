// Parser tests: bpftrace 0.17's own tools parse, our AST matches bpftrace's `-d` parser dump, precedence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { basename, join } from 'node:path';
import { parse, printAst, TraceError, formatDiagnostic } from '../../src/trace/index.js';
import type * as A from '../../src/trace/ast.js';

const FIXTURES = join(process.cwd(), 'test/fixtures/trace/ast');
const TOOLS_DIR = '/usr/sbin';
const tools = existsSync(TOOLS_DIR) ? readdirSync(TOOLS_DIR).filter((f) => f.endsWith('.bt')).sort() : [];

/** bpftrace expands C macros (AF_INET → 2) and resolves library names in uprobes while parsing; we do neither
 * in the parser, so those two spots are normalised before comparing dumps. */
function normalise(dump: string): string {
  return dump
    .replace(/^(\s*)(identifier: [A-Z_][A-Z0-9_]*|int: -?\d+)( :: .*)$/gm, '$1MACRO_OR_INT$3')
    .replace(/^(\s*)(uprobe|uretprobe):[^:\n]*:/gm, '$1$2:LIB:');
}

function parseOrExplain(source: string, name: string): A.Program {
  try {
    return parse(source, name);
  } catch (e) {
    if (e instanceof TraceError) assert.fail(formatDiagnostic(e, source));
    throw e;
  }
}

test('parses every bpftrace tool in /usr/sbin', { skip: tools.length === 0 && 'bpftrace tools not installed' }, () => {
  assert.ok(tools.length >= 30, `expected bpftrace's tools, found ${tools.length}`);
  for (const t of tools) {
    const program = parseOrExplain(readFileSync(join(TOOLS_DIR, t), 'utf8'), t);
    assert.ok(program.probes.length > 0, t);
  }
});

test('tool ASTs match bpftrace 0.17 -d parser dumps', { skip: tools.length === 0 && 'bpftrace tools not installed' }, () => {
  const dumps = readdirSync(join(FIXTURES, 'tools')).filter((f) => f.endsWith('.ast'));
  assert.ok(dumps.length >= 30);
  let exact = 0;
  for (const d of dumps) {
    const tool = join(TOOLS_DIR, basename(d, '.ast') + '.bt');
    if (!existsSync(tool)) continue;
    const want = readFileSync(join(FIXTURES, 'tools', d), 'utf8');
    const got = printAst(parseOrExplain(readFileSync(tool, 'utf8'), tool));
    if (got === want) exact++;
    assert.equal(normalise(got), normalise(want), d);
  }
  assert.ok(exact >= 28, `only ${exact} dumps identical before normalisation`);
});

test('representative scripts match bpftrace 0.17 -d parser dumps', () => {
  const scripts = readdirSync(FIXTURES).filter((f) => f.endsWith('.bt'));
  assert.ok(scripts.length >= 3);
  for (const s of scripts) {
    const source = readFileSync(join(FIXTURES, s), 'utf8');
    const want = readFileSync(join(FIXTURES, s.replace(/\.bt$/, '.ast')), 'utf8');
    assert.equal(printAst(parseOrExplain(source, s)), want, s);
  }
});

function firstExpr(src: string): A.Expression {
  const program = parse(`BEGIN { $r = ${src}; }`);
  const st = program.probes[0]!.block.statements[0]!;
  assert.equal(st.kind, 'Assignment');
  return (st as A.Assignment).value;
}

/** Fully parenthesised rendering of an expression, to check grouping. */
function show(e: A.Expression): string {
  switch (e.kind) {
    case 'Integer': return String(e.value);
    case 'Variable': return e.name;
    case 'Binary': return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'Unary': return e.postfix ? `(${show(e.operand)}${e.op})` : `(${e.op}${show(e.operand)})`;
    case 'Ternary': return `(${show(e.cond)} ? ${show(e.then)} : ${show(e.else)})`;
    case 'Cast': return `((${e.typeName}${'*'.repeat(e.pointerDepth)})${show(e.operand)})`;
    case 'Builtin': return e.name;
    case 'FieldAccess': return `${show(e.object)}${e.arrow ? '->' : '.'}${e.field}`;
    case 'Index': return `${show(e.object)}[${show(e.index)}]`;
    case 'Call': return `${e.name}(${e.args.map(show).join(', ')})`;
    default: return e.kind;
  }
}

test('binary operators follow C precedence and associativity', () => {
  const cases: [string, string][] = [
    ['1 + 2 * 3', '(1 + (2 * 3))'],
    ['1 - 2 - 3', '((1 - 2) - 3)'],
    ['8 / 4 % 3 * 2', '(((8 / 4) % 3) * 2)'],
    ['1 << 2 + 3', '(1 << (2 + 3))'],
    ['1 < 2 == 3 > 4', '((1 < 2) == (3 > 4))'],
    ['1 & 2 == 2', '(1 & (2 == 2))'],
    ['1 | 2 ^ 3 & 4', '(1 | (2 ^ (3 & 4)))'],
    ['1 || 2 && 3 | 4', '(1 || (2 && (3 | 4)))'],
    ['$a ? $b : $c ? 1 : 2', '($a ? $b : ($c ? 1 : 2))'],
    ['!$a && -$b', '((!$a) && (-$b))'],
    ['~$a + 1', '((~$a) + 1)'],
    ['-5 * 2', '(-5 * 2)'],
    ['2 -5', '(2 - 5)'],
    ['(uint32)$a + 1', '(((uint32)$a) + 1)'],
    ['(int8 **)$a', '((int8**)$a)'],
    ['$a++ + ++$b', '(($a++) + (++$b))'],
    ['*$p->f', '(*$p->f)'],
    ['args->x.y[2]', 'args->x.y[2]'],
    ['str(args.filename) == "x"', '(str(args.filename) == String)'],
  ];
  for (const [src, want] of cases) assert.equal(show(firstExpr(src)), want, src);
});

test('literals: hex, octal, underscores, exponents, negative, escapes', () => {
  const ints: [string, bigint][] = [['0x1f', 31n], ['010', 8n], ['1_000_000', 1000000n], ['2e3', 2000n], ['-7', -7n]];
  for (const [src, v] of ints) {
    const e = firstExpr(src);
    assert.equal(e.kind, 'Integer', src);
    assert.equal((e as A.IntegerLiteral).value, v, src);
  }
  const s = firstExpr('"a\\tb\\n\\"\\\\\\x41\\101"');
  assert.equal(s.kind, 'String');
  assert.equal((s as A.StringLiteral).value, 'a\tb\n"\\AA');
});

test('attach points: providers, short forms, wildcards, units', () => {
  const program = parse(
    't:syscalls:sys_enter_open*, tracepoint:sched:sched_switch, p:hz:99, profile:ms:10, i:s:1, ' +
      's:cpu-clock:1000, uprobe:/bin/bash:readline, usdt:/bin/x:prov:name, BEGIN { }',
  );
  const aps = program.probes[0]!.attachPoints;
  assert.deepEqual(
    aps.map((a) => [a.provider, a.target, a.func, a.unit, a.freq, a.ns, a.wildcard]),
    [
      ['tracepoint', 'syscalls', 'sys_enter_open*', undefined, undefined, undefined, true],
      ['tracepoint', 'sched', 'sched_switch', undefined, undefined, undefined, false],
      ['profile', undefined, undefined, 'hz', 99, undefined, false],
      ['profile', undefined, undefined, 'ms', 10, undefined, false],
      ['interval', undefined, undefined, 's', 1, undefined, false],
      ['software', undefined, 'cpu-clock', undefined, 1000, undefined, false],
      ['uprobe', '/bin/bash', 'readline', undefined, undefined, undefined, false],
      ['usdt', '/bin/x', 'name', undefined, undefined, 'prov', false],
      ['BEGIN', undefined, undefined, undefined, undefined, undefined, false],
    ],
  );
  assert.equal(aps[0]!.raw, 't:syscalls:sys_enter_open*');
  assert.equal(aps[0]!.name, 'tracepoint:syscalls:sys_enter_open*');
});

test('every node has exact ranges and bpftrace-style locations', () => {
  const src = 'BEGIN {\n  printf("%d\\n", 1 + 2);\n}\n';
  const program = parse(src);
  const st = program.probes[0]!.block.statements[0] as A.ExprStatement;
  const call = st.expr as A.Call;
  assert.equal(call.kind, 'Call');
  assert.deepEqual(
    [call.range.line, call.range.column, call.range.endColumn, call.range.start, call.range.end],
    [2, 3, 24, 10, 31],
  );
  const sum = call.args[1] as A.Binary;
  // bpftrace locates a binary operation at its operator.
  assert.deepEqual([sum.loc.line, sum.loc.column, sum.loc.endColumn], [2, 20, 21]);
  assert.deepEqual([sum.range.column, sum.range.endColumn], [18, 23]);
  assert.equal(src.slice(sum.range.start, sum.range.end), '1 + 2');
});

test('statements: compound assignment, else-if chains, unroll, while, delete, jumps', () => {
  const program = parse(
    'BEGIN { $x += 2; @m[1, "a"] <<= 1; if ($x) { } else if ($x > 1) { } else { } ' +
      'unroll(4) { $x++ } while ($x < 9) { break; continue } delete(@m[1, "a"]); return }',
  );
  const s = program.probes[0]!.block.statements;
  assert.deepEqual(s.map((x) => x.kind), ['Assignment', 'Assignment', 'If', 'Unroll', 'While', 'ExprStatement', 'Jump']);
  assert.equal((s[0] as A.Assignment).op, '+=');
  const m = (s[1] as A.Assignment).target as A.MapRef;
  assert.equal(m.keys.length, 2);
  const elseIf = (s[2] as A.If).else!.statements[0] as A.If;
  assert.equal(elseIf.kind, 'If');
  assert.ok(elseIf.else);
  assert.equal(((s[3] as A.Unroll).count as A.IntegerLiteral).value, 4n);
});

test('comments, preprocessor lines, struct definitions, shebang', () => {
  const program = parse(
    '#!/usr/bin/env bpftrace\n#include <linux/fs.h>\nstruct foo { int a; struct { int b; } c; };\n' +
      '/* block\n comment */ BEGIN // trailing\n{ @ = 1 /* inline */ }\n',
  );
  assert.equal(program.cDefinitions, '#include <linux/fs.h>\nstruct foo { int a; struct { int b; } c; };;\n');
  assert.equal(program.probes.length, 1);
});

const bpftraceLive = spawnSync('bpftrace', ['--version'], { encoding: 'utf8' }).stdout?.includes('v0.17') &&
  process.getuid?.() === 0;

test('live: bpftrace 0.17 -d dumps the same AST', { skip: !bpftraceLive && 'bpftrace 0.17 not runnable as root' }, () => {
  const scripts = readdirSync(FIXTURES).filter((f) => f.endsWith('.bt'));
  for (const s of scripts) {
    const r = spawnSync('bpftrace', ['-d', join(FIXTURES, s)], { encoding: 'utf8', timeout: 30_000 });
    const m = /AST after: parser\n-+\n([\s\S]*?Program\n[\s\S]*?)\n\n/.exec(r.stdout);
    assert.ok(m, `no parser dump from bpftrace for ${s}`);
    assert.equal(printAst(parse(readFileSync(join(FIXTURES, s), 'utf8'), s)), m[1] + '\n', s);
  }
});
