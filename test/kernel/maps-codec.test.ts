// Key codecs for LPM tries and stack traces: pure, no kernel needed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cidr4, cidr6, formatIPv6, lpmKey, parseIPv6, stackFrames } from '../../src/kernel/maps/index.js';

const roundTrip = (codec: typeof cidr4, text: string) => {
  const b = new Uint8Array(codec.size);
  codec.encode(text, b);
  return { bytes: b, text: codec.decode(b) };
};

test('cidr4: prefix length host order, address network order, host bits cleared', () => {
  const { bytes, text } = roundTrip(cidr4, '10.1.2.3/8');
  assert.deepEqual([...bytes], [8, 0, 0, 0, 10, 0, 0, 0]);
  assert.equal(text, '10.0.0.0/8');
  assert.equal(roundTrip(cidr4, '192.168.1.77').text, '192.168.1.77/32');
  assert.equal(roundTrip(cidr4, '0.0.0.0/0').text, '0.0.0.0/0');
  for (const bad of ['10.0.0/8', '10.0.0.0/33', '256.0.0.1', '1.2.3.4/x', 'a.b.c.d']) {
    assert.throws(() => roundTrip(cidr4, bad), RangeError, bad);
  }
});

test('cidr6: parses compressed forms and embedded IPv4, prints RFC 5952 text', () => {
  assert.equal(roundTrip(cidr6, '2001:db8::1/128').text, '2001:db8::1/128');
  assert.equal(roundTrip(cidr6, '2001:0DB8:0:0:0:0:0:0/32').text, '2001:db8::/32');
  assert.equal(roundTrip(cidr6, '::/0').text, '::/0');
  assert.equal(roundTrip(cidr6, 'fe80::1:2/10').text, 'fe80::/10');
  assert.equal(formatIPv6(parseIPv6('::ffff:10.1.2.3')), '::ffff:10.1.2.3');
  assert.equal(formatIPv6(parseIPv6('1:0:0:2:0:0:0:3')), '1:0:0:2::3');
  assert.equal(formatIPv6(parseIPv6('1:2:3:4:5:6:7:8')), '1:2:3:4:5:6:7:8');
  const { bytes } = roundTrip(cidr6, '2001:db8::/32');
  assert.deepEqual([...bytes.subarray(0, 8)], [32, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8]);
  for (const bad of ['1::2::3', '12345::', '1:2:3:4:5:6:7', 'fe80::/129', 'g::1']) {
    assert.throws(() => roundTrip(cidr6, bad), RangeError, bad);
  }
});

test('lpmKey: raw {prefixLen, data} keys', () => {
  const codec = lpmKey(2);
  const b = new Uint8Array(6);
  codec.encode({ prefixLen: 12, data: Uint8Array.of(0xab, 0xcd) }, b);
  assert.deepEqual([...b], [12, 0, 0, 0, 0xab, 0xcd]);
  assert.deepEqual(codec.decode(b), { prefixLen: 12, data: Uint8Array.of(0xab, 0xcd) });
  assert.throws(() => codec.encode({ prefixLen: 17, data: Uint8Array.of(1, 2) }, b), RangeError);
});

test('stackFrames: instruction pointers up to the first zero', () => {
  const codec = stackFrames(4);
  const b = new Uint8Array(32);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, 0xffffffff81000000n, true);
  v.setBigUint64(8, 0xffffffff81000010n, true);
  assert.deepEqual(codec.decode(b), [0xffffffff81000000n, 0xffffffff81000010n]);
  assert.throws(() => codec.encode([], b), TypeError);
});
