// What every classic tool shares: `bpfkit` lists it, -h lists its flags, and without root it refuses in one line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { tools } from '../../src/tools/catalog/index.js';
import { isRoot, kernelTest } from '../helpers/kernel.js';
import { BPFKIT } from './run-tool.js';

const run = (args: string[], asUser?: string) => {
  const argv = asUser ? ['setpriv', `--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', process.execPath, BPFKIT, ...args] : [process.execPath, BPFKIT, ...args];
  return spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 20000 });
};

test('bpfkit with no arguments lists every tool with a one-line description', () => {
  const r = run([]);
  assert.equal(r.status, 0);
  const listing = r.stdout.slice(r.stdout.indexOf('tools:'));
  assert.ok(tools.length > 0);
  for (const t of tools) assert.match(listing, new RegExp(`^  ${t.name}\\s+\\S.*$`, 'm'), `${t.name} missing from:\n${r.stdout}`);
});

test('every tool has -h that lists its flags, and rejects an unknown flag with exit 2', () => {
  for (const t of tools) {
    const help = run([t.name, '-h']);
    assert.equal(help.status, 0, `${t.name} -h: ${help.stderr}`);
    assert.match(help.stdout, new RegExp(`^Usage: bpfkit ${t.name}`, 'm'));
    assert.match(help.stdout, /--json/);
    const bad = run([t.name, '--no-such-flag']);
    assert.equal(bad.status, 2, `${t.name} --no-such-flag: ${bad.stdout}${bad.stderr}`);
    assert.match(bad.stderr, /unknown option '--no-such-flag'/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
  }
});

kernelTest('every tool run without root exits 1 with one line on stderr', () => {
  assert.ok(isRoot);
  for (const t of tools) {
    const r = run([t.name], '65534');
    assert.equal(r.status, 1, `${t.name}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, `${t.name} stderr: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^bpfkit ${t.name}: must run as root`));
  }
});
