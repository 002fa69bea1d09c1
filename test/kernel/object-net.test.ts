// Network programs from a clang-built object, attached by section name: tcx on lo in a netns, sk_lookup in that
// netns, cgroup_skb and cgroup/connect4 on a throwaway cgroup; each counts UDP traffic to one port.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Link } from '../../src/kernel/link.js';
import { ObjectCollection } from '../../src/kernel/object.js';
import { compileBpf, scratchDir } from '../fixtures/bpf/build.js';
import { createCgroup } from '../helpers/cgroup.js';
import { kernelTest } from '../helpers/kernel.js';
import { createNetns } from '../helpers/netns.js';
import { udpSender } from '../fixtures/bpf/udp.js';

kernelTest('tcx and sk_lookup programs attached by section name in a netns see UDP packets to the port', () => {
  using ns = createNetns('objnet');
  const port = 41000 + (process.pid % 20000);
  using obj = ObjectCollection.loadFile(compileBpf('net'), { constants: { port }, programs: ['tcx_ingress', 'tcx_egress', 'lookup'] });
  const links: Link[] = [];
  try {
    for (const name of Object.keys(obj.programs)) links.push(obj.attach(name, { iface: 'lo', netns: ns.name }));
    execFileSync('ip', ['netns', 'exec', ns.name, process.execPath, '-e', udpSender(port, 3, 1)]);
    assert.equal(obj.variable('tcx_out').get(), 3n);
    assert.equal(obj.variable('tcx_in').get(), 3n);
    assert.equal(obj.variable('lookups').get(), 3n); // a socket lookup per datagram (no socket bound: all miss)
  } finally {
    for (const l of links) l.close();
  }
});

kernelTest('cgroup_skb and cgroup/connect4 programs attached by section name see a process in the cgroup', async () => {
  using cg = createCgroup();
  const port = 42000 + (process.pid % 20000);
  using obj = ObjectCollection.loadFile(compileBpf('net'), { constants: { port }, programs: ['cg_skb_egress', 'cg_connect4'] });
  const links = Object.keys(obj.programs).map((name) => obj.attach(name, { cgroup: cg.path }));
  try {
    const script = `const d=require('node:dgram');const s=d.createSocket('udp4');let n=0;` +
      `const next=()=>{if(n++<2)s.send('x',${port},'127.0.0.1',next);else s.connect(${port},'127.0.0.1',()=>s.close());};next();`;
    const file = join(scratchDir(), `udp-${port}.cjs`);
    writeFileSync(file, script);
    const r = await cg.runNode(file, []);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(obj.variable('cg_egress').get(), 2n);
    assert.ok((obj.variable('connects').get() as bigint) >= 1n);
  } finally {
    for (const l of links) l.close();
  }
});
