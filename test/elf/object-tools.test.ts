// `bpfkit inspect` and `bpfkit gen types` on clang-built objects (no loading).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { generateTypes } from '../../src/elf/gen-types.js';
import { readObjectFile } from '../../src/elf/object.js';
import type { ObjectReport } from '../../src/cli/inspect.js';
import { compileBpf } from '../fixtures/bpf/build.js';

const cli = new URL('../../src/cli/main.js', import.meta.url).pathname;
const bpfkit = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

test('inspect --json: programs with section, type, target, source-annotated disassembly; maps; globals; CO-RE', () => {
  const r = bpfkit('inspect', compileBpf('core'), '--json');
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ObjectReport;
  const prog = report.programs.find((p) => p.name === 'core_getppid')!;
  assert.equal(prog.section, 'tracepoint/syscalls/sys_enter_getppid');
  assert.equal(prog.type, 'TRACEPOINT');
  assert.equal(prog.attachTo, 'syscalls/sys_enter_getppid');
  assert.ok(prog.disassembly!.some((l) => /^; parent_tgid = BPF_CORE_READ\(task, real_parent, tgid\); \[core\.bpf\.c:\d+\]$/.test(l)));
  assert.ok(prog.disassembly!.some((l) => /call bpf_probe_read_kernel#113/.test(l)));
  assert.ok(Array.isArray(prog.core));
  const core = prog.core as Array<{ kind: string; local: string; targetValue: string; poisoned: boolean }>;
  assert.ok(core.some((c) => c.kind === 'FIELD_BYTE_OFFSET' && c.local.includes('real_parent') && !c.poisoned));
  assert.ok(core.some((c) => c.kind === 'ENUMVAL_VALUE' && c.targetValue === '27'));
  assert.deepEqual(report.maps.map((m) => m.name).sort(), ['.bss', '.rodata']);
  const tgid = report.globals.find((g) => g.name === 'target_tgid')!;
  assert.equal(tgid.section, '.rodata');
  assert.match(tgid.type!, /__u32/);
  const text = bpfkit('inspect', compileBpf('tracing'));
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /hits {2}HASH {2}key __u32 {2}value __u64 {2}max_entries 16/);
  assert.match(text.stdout, /victim_add_entry {2}section 'uprobe\/\/nonexistent:victim_add' {2}type KPROBE/);
});

test('inspect on a file that is not an object exits 1 with one clear line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-inspect-'));
  try {
    writeFileSync(join(dir, 'x.o'), 'not an elf file at all, just text long enough for a header........');
    const r = bpfkit('inspect', join(dir, 'x.o'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^bpfkit: not an ELF file: bad magic\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('gen types: the generated module type-checks under strict TypeScript and its codecs round-trip', async () => {
  const spec = readObjectFile(compileBpf('tracing'));
  const source = generateTypes(spec);
  assert.match(source, /export interface Event \{\n {2}tgid: number;\n {2}kind: number;\n {2}value: bigint;\n\}/);
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-gen-'));
  try {
    const file = join(dir, 'tracing.ts');
    writeFileSync(file, source + '\nconst e: Event = records.event.decode(new Uint8Array(16));\nexport const check: bigint = e.value;\n');
    const program = ts.createProgram([file], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], types: [], skipLibCheck: true, noUncheckedIndexedAccess: true });
    const diags = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    assert.deepEqual(diags, []);
    const js = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
    writeFileSync(join(dir, 'tracing.mjs'), js);
    const mod = await import(join(dir, 'tracing.mjs')) as {
      records: { event: { size: number; encode(v: unknown, b: Uint8Array): void; decode(b: Uint8Array): unknown } };
      maps: Record<string, { key?: { decode(b: Uint8Array): unknown }; value: { size: number; decode(b: Uint8Array): unknown } }>;
    };
    const ev = { tgid: 1234, kind: 3, value: -5n };
    const buf = new Uint8Array(mod.records.event.size);
    mod.records.event.encode(ev, buf);
    assert.deepEqual(mod.records.event.decode(buf), ev);
    assert.equal(new DataView(buf.buffer).getUint32(0, true), 1234);
    const rodata = mod.maps['.rodata']!.value;
    assert.equal(rodata.size, 4);
    assert.deepEqual(rodata.decode(spec.dataSections['.rodata']!.data), { target_tgid: 0 });
    assert.equal(mod.maps.hits!.key!.decode(new Uint8Array([7, 0, 0, 0])), 7);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('gen types: structs with nested structs, arrays, strings and bitfields decode at BTF offsets', async () => {
  const spec = readObjectFile(compileBpf('typed'));
  const source = generateTypes(spec, { types: ['record'] });
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-gen-'));
  try {
    const file = join(dir, 'typed.ts');
    writeFileSync(file, source);
    const program = ts.createProgram([file], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], types: [], skipLibCheck: true });
    assert.deepEqual(ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')), []);
    writeFileSync(join(dir, 'typed.mjs'), ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText);
    const mod = await import(join(dir, 'typed.mjs')) as { records: Record<string, { size: number; decode(b: Uint8Array): unknown; encode(v: unknown, b: Uint8Array): void }> };
    // The program's .data holds one `struct record` initialised in C: decode it with the generated codec.
    const v = spec.variables.sample!;
    const bytes = spec.dataSections[v.section]!.data.subarray(v.offset, v.offset + v.size);
    const rec = mod.records.record!;
    assert.equal(rec.size, v.size);
    const decoded = rec.decode(bytes);
    assert.deepEqual(decoded, {
      id: 42n, comm: 'bpfkit', point: { x: -1, y: 2 }, samples: [1, 2, 3], flag_a: 1, flag_b: 5, tail: 0x77,
    });
    const again = new Uint8Array(rec.size);
    rec.encode(decoded, again);
    assert.deepEqual([...again], [...bytes]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
