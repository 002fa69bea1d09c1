// The BPF ISA conformance suite on the real kernel: every program is assembled by our assembler, loaded as an XDP
// program behind a small prologue, run once with BPF_PROG_TEST_RUN and its 64-bit r0 compared with `-- result`.
// The verifier's own disassembly of every loaded program (log level 2) is compared with our disassembler too.
import assert from 'node:assert/strict';
import { assemble } from '../../src/isa/asm.js';
import { formatInstruction } from '../../src/isa/disasm.js';
import { slots, type Instruction } from '../../src/isa/instruction.js';
import { u32, u64 } from '../../src/kernel/codec.js';
import { BpfMap } from '../../src/kernel/map.js';
import { Program, VerifierError } from '../../src/kernel/program.js';
import { AttachType, MapType, ProgType } from '../../src/sys/constants.js';
import { conformanceFiles, parseConformance, type ConformanceFile } from '../isa/conformance-data.js';
import { kernelTest } from '../helpers/kernel.js';

/**
 * Files the kernel verifier refuses at load, each with the reason. The test fails if one of these loads, or if
 * any other file is refused: a regression either way shows.
 */
const EXPECTED_REJECTIONS: Record<string, string> = {
  'callx.data': 'callx (JMP|CALL|X, call through a register) is not in the kernel ISA: "unknown opcode 8d"',
  'arsh32-imm-high.data': 'shift by an immediate >= 32: "invalid shift" (the RFC masks the count, the verifier refuses it)',
  'arsh32-imm-neg.data': 'shift by a negative immediate: "invalid shift"',
  'arsh64-imm-high.data': 'shift by an immediate >= 64: "invalid shift" (the RFC masks the count, the verifier refuses it)',
  'arsh64-imm-neg.data': 'shift by a negative immediate: "invalid shift"',
  'lsh32-imm-high.data': 'shift by an immediate >= 32: "invalid shift" (the RFC masks the count, the verifier refuses it)',
  'lsh32-imm-neg.data': 'shift by a negative immediate: "invalid shift"',
  'lsh64-imm-high.data': 'shift by an immediate >= 64: "invalid shift" (the RFC masks the count, the verifier refuses it)',
  'lsh64-imm-neg.data': 'shift by a negative immediate: "invalid shift"',
  'rsh32-imm-high.data': 'shift by an immediate >= 32: "invalid shift" (the RFC masks the count, the verifier refuses it)',
  'rsh32-imm-neg.data': 'shift by a negative immediate: "invalid shift"',
  'rsh64-imm-high.data': 'shift by an immediate >= 64: "invalid shift" (the RFC masks the count, the verifier refuses it)',
  'rsh64-imm-neg.data': 'shift by a negative immediate: "invalid shift"',
};

/** A program the loader can run: the prologue, then the test's instructions as a BPF-to-BPF subprogram. */
function withPrologue(test: Instruction[], memLength: number): Instruction[] {
  // r1 = xdp_md: bounds-check memLength bytes of packet, call the test with r1 = data, r2 = length, then store its
  // full 64-bit r0 in the result map (an XDP return value is 32 bits and clamped to the XDP actions).
  const prologue = assemble(`
    r2 = *(u32 *)(r1 +0)
    r3 = *(u32 *)(r1 +4)
    r1 = r2
    r1 += ${memLength}
    if r1 > r3 goto out
    r1 = r2
    r2 = ${memLength}
    call test
    r1 = map[name:result][0]+0
    *(u64 *)(r1 +0) = r0
  out:
    r0 = 2
    exit
  test:
    exit
  `);
  prologue.pop(); // the placeholder that carried the `test` label: the call lands on the test's first instruction
  return [...prologue, ...test];
}

interface Outcome { file: ConformanceFile; result?: bigint; rejected?: VerifierError; log?: string; insns: Instruction[] }

function runOnKernel(file: ConformanceFile, result: BpfMap<number, bigint>): Outcome {
  const test = assemble(file.asm!.text, { file: file.name, firstLine: file.asm!.firstLine });
  const insns = withPrologue(test, file.mem.length);
  result.update(0, 0xdeadbeefn);
  let prog: Program;
  try {
    prog = Program.load(
      { name: 'conformance', type: ProgType.XDP, expectedAttachType: AttachType.XDP, instructions: insns, license: 'GPL' },
      { maps: { result }, logLevel: 2, logSize: 1 << 24 },
    );
  } catch (err) {
    if (err instanceof VerifierError) return { file, rejected: err, insns };
    throw err;
  }
  using loaded = prog;
  const packet = new Uint8Array(Math.max(14, file.mem.length));
  packet.set(file.mem);
  const run = loaded.testRun({ data: packet });
  assert.equal(run.retval, 2, `${file.name}: the prologue returns XDP_PASS`);
  return { file, result: result.lookup(0), log: loaded.log, insns };
}

/** Checks our one-line disassembly against every `N: (xx) ...` line of the verifier's log. */
function compareWithVerifierLog(outcome: Outcome): number {
  const bySlot = new Map<number, Instruction>();
  let slot = 0;
  for (const insn of outcome.insns) { bySlot.set(slot, insn); slot += slots(insn); }
  let compared = 0;
  for (const line of (outcome.log ?? '').split('\n')) {
    const m = /^(\d+): (\([0-9a-f]{2}\) .*?)(?:\s+; .*)?$/.exec(line);
    if (!m) continue;
    const insn = bySlot.get(Number(m[1]));
    if (!insn) continue;
    const theirs = m[2]!.trimEnd();
    const ours = formatInstruction(insn);
    // The verifier hides pointers (map addresses) and names subprograms by pc; both are fine to skip.
    if (insn.opcode === 0x18 && insn.src !== 0) continue;
    assert.equal(ours, theirs, `${outcome.file.name}: instruction ${m[1]} disassembles as the verifier does`);
    compared++;
  }
  return compared;
}

kernelTest('the conformance suite runs on the kernel with the expected results', { timeout: 120_000 }, () => {
  using result = BpfMap.create({ name: 'conf_result', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 }, { key: u32, value: u64 });
  let passed = 0;
  let compared = 0;
  const rejected: string[] = [];
  const failures: string[] = [];
  const files = conformanceFiles('tests');
  for (const { name, text } of files) {
    const file = parseConformance(name, text);
    const outcome = runOnKernel(file, result);
    if (outcome.rejected) {
      rejected.push(name);
      const expected = EXPECTED_REJECTIONS[name];
      if (expected === undefined) failures.push(`${name}: rejected unexpectedly:\n${outcome.rejected.message}`);
      // The verifier's words quoted in the reason must appear in the error.
      else if (!outcome.rejected.message.includes(/"(.*?)"/.exec(expected)![1]!)) failures.push(`${name}: rejected for another reason:\n${outcome.rejected.message}`);
      continue;
    }
    if (name in EXPECTED_REJECTIONS) failures.push(`${name}: expected a verifier rejection (${EXPECTED_REJECTIONS[name]}) but it loaded`);
    if (outcome.result !== file.result) {
      failures.push(`${name}: r0 = 0x${outcome.result?.toString(16)}, expected 0x${file.result?.toString(16)}`);
      continue;
    }
    compared += compareWithVerifierLog(outcome);
    passed++;
  }
  console.log(`conformance on the kernel: ${passed} passed, ${rejected.length} rejected by the verifier, ${files.length} total; ` +
    `${compared} instructions disassembled exactly as the verifier log prints them`);
  assert.deepEqual(failures, []);
  assert.equal(passed + rejected.length, files.length);
  assert.deepEqual(rejected.sort(), Object.keys(EXPECTED_REJECTIONS).sort());
});

kernelTest('negative conformance files that assemble are still refused or wrong on the kernel', () => {
  using result = BpfMap.create({ name: 'conf_neg', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 }, { key: u32, value: u64 });
  const byName = new Map(conformanceFiles('negative').map((f) => [f.name, f]));
  // `or %r0, %r10` reads r0 before anything wrote it: the verifier refuses.
  const error = runOnKernel(parseConformance('error.data', byName.get('error.data')!.text), result);
  assert.ok(error.rejected, 'error.data must be rejected by the verifier');
  // The expected result there is deliberately wrong in its high bits.
  const f = parseConformance('incorrect_return_value_high_bits.data', byName.get('incorrect_return_value_high_bits.data')!.text);
  const wrong = runOnKernel(f, result);
  assert.equal(wrong.rejected, undefined);
  assert.notEqual(wrong.result, f.result);
  assert.equal(wrong.result! & 0xffffffffn, f.result! & 0xffffffffn, 'the low 32 bits agree; only the high bits differ');
});
