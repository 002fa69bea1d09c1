// Builds the native shim with node-gyp against the headers of the Node running this script, so nothing is downloaded.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nodedir = dirname(dirname(process.execPath));
if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) {
  console.error(`bpfkit: no Node headers under ${nodedir}/include/node; install the nodejs dev headers`);
  process.exit(1);
}

function findNodeGyp() {
  const candidates = [];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {}
  const npmRoot = join(nodedir, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  candidates.push(npmRoot);
  return candidates.find((c) => existsSync(c));
}

const gyp = findNodeGyp();
if (!gyp) {
  console.error('bpfkit: node-gyp not found (it ships with npm)');
  process.exit(1);
}
execFileSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--directory', join(root, 'native')], {
  stdio: 'inherit',
});
