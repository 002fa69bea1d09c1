// Answers about this kernel's BTF (a type's id by name, a member's offset) remembered across runs. Building the
// name index costs ~30-50 ms (read 5.5 MB from sysfs, walk ~126k type records), a large share of a tool's start-up,
// while a tool asks the same few questions every time. The answers live in /run (tmpfs, gone at reboot) keyed by
// the boot id and the BTF's size, so a different kernel can never see them. Set BPFKIT_NO_BTF_CACHE=1 to bypass.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';

const DIR = '/run/bpfkit';
const FILE = `${DIR}/vmlinux-btf-answers.json`;
const VMLINUX = '/sys/kernel/btf/vmlinux';

type Answers = Record<string, number | null>;

let answers: Answers | undefined;
let key: string | undefined;
let saveScheduled = false;

function currentKey(): string | undefined {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return `${boot}:${statSync(VMLINUX).size}`;
  } catch {
    return undefined;
  }
}

function load(): Answers {
  key = currentKey();
  if (!key || process.env.BPFKIT_NO_BTF_CACHE) return {};
  try {
    const saved = JSON.parse(readFileSync(FILE, 'utf8')) as { key?: string; answers?: Answers };
    if (saved.key === key && saved.answers && typeof saved.answers === 'object') return saved.answers;
  } catch {
    // no cache yet, or unreadable: start afresh
  }
  return {};
}

function save(): void {
  if (!key || !answers || process.env.BPFKIT_NO_BTF_CACHE) return;
  try {
    mkdirSync(DIR, { recursive: true, mode: 0o755 });
    const tmp = `${FILE}.${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ key, answers }), { mode: 0o644 });
    renameSync(tmp, FILE); // atomic: concurrent runs never read half a file
  } catch {
    // not root, or /run is read-only: the cache is an optimisation only
  }
}

/**
 * The remembered answer to `question` (e.g. "typedef:btf_trace_sys_enter"), computing and remembering it on a
 * miss. `undefined` answers are remembered too (a field this kernel lacks).
 */
export function rememberBtf(question: string, compute: () => number | undefined): number | undefined {
  answers ??= load();
  if (Object.hasOwn(answers, question)) return answers[question] ?? undefined;
  const value = compute();
  answers[question] = value ?? null;
  if (!saveScheduled) {
    saveScheduled = true;
    process.once('exit', save);
  }
  return value;
}
