#!/usr/bin/env bash
# Runs the VM test group (test/vm/*.vmtest.ts: kprobes, fentry/fexit, BPF LSM) inside Debian's Linux 6.1 under
# qemu, in one VM boot, and exits with the node test runner's code.
#   scripts/test-vm.sh [FILTER...]     FILTER: substrings of vmtest file names (e.g. kprobe)
# Knobs: VM_RIG (default ../shared/vm-rig beside the repo), BPFKIT_VM_NO_BUILD=1 (dist/ is fresh: skip tsc),
# VM_TIMEOUT (default 300 s), and the rig's own (VM_DEBUG=1, VM_TIMING=1, ...; see vm-rig/README.md).
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
RIG=${VM_RIG:-$REPO/../shared/vm-rig}
[ -x "$RIG/run-in-vm.sh" ] || { echo "test-vm: no vm-rig at $RIG (set VM_RIG)" >&2; exit 2; }
RIG=$(cd "$RIG" && pwd)
WORK=${VM_RIG_WORK:-${TMPDIR:-/tmp}/bpfkit-vm-rig}
start=$EPOCHREALTIME

# The rig downloads its kernel once per machine (CI starts from nothing).
if ! command -v qemu-system-x86_64 >/dev/null || ! ls "$WORK"/k-std/boot/vmlinuz-* >/dev/null 2>&1; then
  echo "test-vm: setting up the VM rig ($RIG/setup.sh)"
  "$RIG/setup.sh" || { echo "test-vm: vm-rig setup failed" >&2; exit 2; }
fi

if [ "${BPFKIT_VM_NO_BUILD:-0}" != 1 ]; then
  # tsc emits even when some file has type errors; `npm test` is what fails on those.
  npx tsc -p . || echo "test-vm: tsc reported errors (above); running what it emitted" >&2
fi
[ -f dist/test/vm/run.js ] || { echo "test-vm: dist/test/vm/run.js is missing: build first (npx tsc -p .)" >&2; exit 2; }

export VM_TIMEOUT=${VM_TIMEOUT:-300}
"$RIG/run-in-vm.sh" node --test-reporter=spec dist/test/vm/run.js "$@"
rc=$?
secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
case $rc in
  0) echo "test-vm: VM group passed in ${secs}s" ;;
  124) echo "test-vm: FAILED: the VM group timed out after ${VM_TIMEOUT}s (VM_TIMEOUT); a test hung or the guest is very slow" >&2 ;;
  125) echo "test-vm: FAILED: the VM broke before the tests finished (console tail above); rerun with VM_DEBUG=1" >&2 ;;
  *) echo "test-vm: FAILED: the VM group exited with $rc after ${secs}s (test runner output above)" >&2 ;;
esac
exit "$rc"
