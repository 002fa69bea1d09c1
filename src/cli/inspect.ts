// `bpfkit inspect FILE.bpf.o`: what a clang-built object holds, without loading it: programs (section, type,
// attach target, size, disassembly with the C source lines), maps, global variables and CO-RE relocations.
import { readObjectFile, type ObjectProgramSpec, type ObjectSpec } from '../elf/object.js';
import type { BtfMapSpec } from '../elf/btf-maps.js';
import { formatInstruction } from '../isa/disasm.js';
import { isWide } from '../isa/opcodes.js';
import { applyCoreRelocations, type CoreReport } from '../kernel/object-btf.js';
import { AttachType, MapType, ProgType } from '../sys/constants.js';

const USAGE = `usage: bpfkit inspect FILE.bpf.o [--json] [--no-disasm]

Shows the programs (section, type, attach target, size, disassembly interleaved with C source lines), maps,
global variables and CO-RE relocations (with what they resolve to on this kernel) of a BPF object.
`;

export interface ObjectReport {
  file: string;
  license: string;
  programs: Array<{
    name: string; section: string; type: string; expectedAttachType?: string; attachTo?: string; instructions: number;
    functions: string[]; disassembly?: string[]; core: CoreReport[] | { error: string };
  }>;
  maps: Array<{ name: string; type: string; keySize: number; valueSize: number; maxEntries: number; flags: number; key?: string; value?: string; inner?: string }>;
  globals: Array<{ name: string; section: string; offset: number; size: number; type?: string }>;
}

export async function run(args: string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const files = args.filter((a) => !a.startsWith('--'));
  if (files.length !== 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  const report = inspectObject(files[0]!, { disassembly: !args.includes('--no-disasm') });
  process.stdout.write(args.includes('--json') ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
  return 0;
}

/** The report `bpfkit inspect` prints, as data. */
export function inspectObject(file: string, opts: { disassembly?: boolean } = {}): ObjectReport {
  const spec = readObjectFile(file);
  return {
    file, license: spec.license,
    programs: Object.values(spec.programs).map((p) => ({
      name: p.name, section: p.sectionName, type: ProgType[p.type] ?? String(p.type),
      ...(p.expectedAttachType !== undefined ? { expectedAttachType: AttachType[p.expectedAttachType] } : {}),
      ...(p.attachTo !== undefined ? { attachTo: p.attachTo } : {}),
      instructions: p.functions.reduce((n, f) => n + f.slots, 0),
      functions: p.functions.map((f) => f.name),
      ...(opts.disassembly !== false ? { disassembly: disassembleWithSource(p) } : {}),
      core: coreFor(p, spec),
    })),
    maps: Object.entries(spec.maps).map(([name, m]) => {
      const b = m as BtfMapSpec;
      return {
        name, type: MapType[m.type] ?? String(m.type), keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries,
        flags: m.flags ?? 0,
        ...(b.keyTypeId !== undefined && spec.btfTypes ? { key: spec.btfTypes.format(b.keyTypeId) } : {}),
        ...(b.valueTypeId !== undefined && spec.btfTypes ? { value: spec.btfTypes.format(b.valueTypeId) } : {}),
        ...(m.innerMap ? { inner: `${MapType[m.innerMap.type]} ${m.innerMap.keySize}/${m.innerMap.valueSize}` } : {}),
      };
    }),
    globals: Object.values(spec.variables).map((v) => ({
      name: v.name, section: v.section, offset: v.offset, size: v.size,
      ...(varType(spec, v.name) ? { type: varType(spec, v.name) } : {}),
    })),
  };
}

function varType(spec: ObjectSpec, name: string): string | undefined {
  const id = spec.btfTypes?.idsByName(name, 14 /* VAR */)[0];
  if (id === undefined) return undefined;
  const v = spec.btfTypes!.type(id) as { type: number };
  return spec.btfTypes!.format(v.type);
}

function coreFor(p: ObjectProgramSpec, spec: ObjectSpec): CoreReport[] | { error: string } {
  if (p.coreRelos.length === 0) return [];
  try {
    return applyCoreRelocations(p, spec).report;
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** bpftool-style disassembly with `; source line [file:line]` before the instructions it produced. */
export function disassembleWithSource(p: ObjectProgramSpec): string[] {
  const out: string[] = [];
  const lines = new Map(p.lineInfo.map((l) => [l.insn, l]));
  const fnAt = new Map(p.functions.map((f) => [f.slot, f.name]));
  let slot = 0;
  let lastLine = '';
  for (const insn of p.instructions) {
    const fn = fnAt.get(slot);
    if (fn) out.push(`${fn}:`);
    const li = lines.get(slot);
    const where = li ? `${li.fileName}:${li.line}` : lastLine;
    if (li && li.lineText && (where !== lastLine || fn)) out.push(`; ${li.lineText.trim()} [${li.fileName.split('/').pop()}:${li.line}]`);
    lastLine = where;
    out.push(`${String(slot).padStart(5)}: ${formatInstruction(insn)}`);
    slot += isWide(insn.opcode) ? 2 : 1;
  }
  return out;
}

function formatReport(r: ObjectReport): string {
  const out: string[] = [`${r.file} (license ${JSON.stringify(r.license)})`, '', 'programs:'];
  for (const p of r.programs) {
    out.push(`  ${p.name}  section '${p.section}'  type ${p.type}${p.expectedAttachType ? `  attach-type ${p.expectedAttachType}` : ''}` +
      `${p.attachTo ? `  target ${p.attachTo}` : ''}  ${p.instructions} insns${p.functions.length > 1 ? `  (calls ${p.functions.slice(1).join(', ')})` : ''}`);
    if (Array.isArray(p.core)) {
      for (const c of p.core) {
        out.push(`    CO-RE ${c.kind} @${c.insn}: ${c.local} -> ${c.poisoned ? `POISONED (${c.reason})` : `${c.target ?? ''} = ${c.targetValue}`}`);
      }
    } else {
      out.push(`    CO-RE: ${p.core.error}`);
    }
    for (const l of p.disassembly ?? []) out.push(`    ${l}`);
  }
  out.push('', 'maps:');
  for (const m of r.maps) {
    out.push(`  ${m.name}  ${m.type}  key ${m.key ?? `${m.keySize} bytes`}  value ${m.value ?? `${m.valueSize} bytes`}  max_entries ${m.maxEntries}` +
      `${m.flags ? `  flags 0x${m.flags.toString(16)}` : ''}${m.inner ? `  inner ${m.inner}` : ''}`);
  }
  out.push('', 'globals:');
  for (const g of r.globals) out.push(`  ${g.name}  ${g.section}+${g.offset}  ${g.size} bytes${g.type ? `  ${g.type}` : ''}`);
  return out.join('\n') + '\n';
}
