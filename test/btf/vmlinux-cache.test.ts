// Remembered BTF answers: a run stores what it asked under this boot's key; another boot's answers are ignored.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { BtfKind, vmlinuxNames } from '../../src/btf/vmlinux-names.js';
import { kernelTest } from '../helpers/kernel.js';

const FILE = '/run/bpfkit/vmlinux-btf-answers.json';
const MODULE = new URL('../../src/btf/vmlinux-cache.js', import.meta.url).href;
const NAMES = new URL('../../src/btf/vmlinux-names.js', import.meta.url).href;

/** Asks for btf_trace_sched_switch's id in a fresh process, through the cache; prints the answer. */
function askInChild(): number {
  const code = `const { rememberBtf } = await import(${JSON.stringify(MODULE)});
const { BtfKind, vmlinuxNames } = await import(${JSON.stringify(NAMES)});
console.log(rememberBtf('typedef:btf_trace_sched_switch', () => vmlinuxNames()?.find(BtfKind.TYPEDEF, 'btf_trace_sched_switch')));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout.trim());
}

kernelTest('a run remembers its BTF answers under this boot and kernel', () => {
  const truth = vmlinuxNames()!.find(BtfKind.TYPEDEF, 'btf_trace_sched_switch');
  assert.ok(truth !== undefined);
  assert.equal(askInChild(), truth);
  assert.ok(existsSync(FILE));
  const saved = JSON.parse(readFileSync(FILE, 'utf8')) as { key: string; answers: Record<string, number> };
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  assert.ok(saved.key.startsWith(`${boot}:`), saved.key);
  assert.equal(saved.answers['typedef:btf_trace_sched_switch'], truth);
});

kernelTest("another boot's answers are ignored", () => {
  const truth = vmlinuxNames()!.find(BtfKind.TYPEDEF, 'btf_trace_sched_switch');
  writeFileSync(FILE, JSON.stringify({ key: 'another-boot:1', answers: { 'typedef:btf_trace_sched_switch': 12345 } }));
  assert.equal(askInChild(), truth);
  const saved = JSON.parse(readFileSync(FILE, 'utf8')) as { key: string; answers: Record<string, number> };
  assert.notEqual(saved.key, 'another-boot:1', 'rewritten under the current key');
});
