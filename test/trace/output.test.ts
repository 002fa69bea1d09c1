// Golden tests: the output layer fed the decoded equivalent of each fixture script prints byte for byte what
// bpftrace 0.17 printed for it (stored under test/fixtures/trace-output/).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { paths } from '../fixtures/trace-output/golden.js';
import { scenarios } from '../fixtures/trace-output/scenarios.js';
import { Sim } from '../fixtures/trace-output/sim.js';

test('there are at least 25 golden scripts', () => {
  assert.ok(scenarios.length >= 25, `${scenarios.length} scenarios`);
});

for (const s of scenarios) {
  const p = paths(s.name);
  test(`golden ${s.name}: stored script matches the scenario`, () => {
    assert.equal(readFileSync(p.script, 'utf8'), s.script + '\n');
  });
  test(`golden ${s.name}: text output is byte-identical`, () => {
    assert.equal(s.run(new Sim('text')), readFileSync(p.text, 'utf8'));
  });
  test(`golden ${s.name}: -f json output is byte-identical`, () => {
    assert.equal(s.run(new Sim('json')), readFileSync(p.json, 'utf8'));
  });
}
