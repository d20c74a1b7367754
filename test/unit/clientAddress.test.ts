import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalAddress, clientAddress, forwardedValue, throttleIdent } from '../../src/clientAddress';

describe('canonicalAddress', () => {
  test('one spelling per address: IPv4-mapped IPv6 is IPv4, IPv6 is RFC 5952', () => {
    const cases: [string, string][] = [
      ['1.2.3.4', '1.2.3.4'],
      ['::ffff:1.2.3.4', '1.2.3.4'],
      ['::ffff:0102:0304', '1.2.3.4'],
      ['::FFFF:1.2.3.4', '1.2.3.4'],
      ['2001:db8::1', '2001:db8::1'],
      ['2001:0db8:0000:0000:0000:0000:0000:0002', '2001:db8::2'],
      ['2001:DB8::FFFF', '2001:db8::ffff'],
      ['::1', '::1'],
      ['0:0:0:0:0:0:0:1', '::1'],
      [' 10.0.0.1 ', '10.0.0.1'],
    ];
    for (const [text, canonical] of cases) assert.equal(canonicalAddress(text), canonical, text);
  });

  test('brackets, a port and a zone are dropped', () => {
    assert.equal(canonicalAddress('[2001:db8::1]'), '2001:db8::1');
    assert.equal(canonicalAddress('[2001:db8::1]:443'), '2001:db8::1');
    assert.equal(canonicalAddress('1.2.3.4:8080'), '1.2.3.4');
    assert.equal(canonicalAddress('fe80::1%eth0'), 'fe80::1');
  });

  test('anything else is not an address: null', () => {
    for (const text of ['', '   ', 'not-an-ip', '1.2.3.4.5', '1.2.3', '0x7f.1', '01.2.3.4', '256.1.1.1', '1.2.3.4/24', '2001:db8::1::2', ':::', 'unknown', '_hidden', `${'1'.repeat(100)}`, '1.2.3.4, 5.6.7.8', '::ffff:1.2.3.4.5']) {
      assert.equal(canonicalAddress(text), null, JSON.stringify(text));
    }
  });
});

describe('throttleIdent', () => {
  test('IPv4 is counted by its address', () => {
    assert.equal(throttleIdent('1.2.3.4'), '1.2.3.4');
  });

  test('IPv6 is counted by its /64 network', () => {
    assert.equal(throttleIdent('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64');
    assert.equal(throttleIdent('2001:db8::1'), '2001:db8::/64');
    assert.equal(throttleIdent('2001:db8::ffff'), '2001:db8::/64');
    assert.equal(throttleIdent('2001:db8:0:1::1'), '2001:db8:0:1::/64');
    assert.equal(throttleIdent('::1'), '::/64');
  });

  test('what is not an address is returned as it is', () => {
    assert.equal(throttleIdent(''), '');
    assert.equal(throttleIdent('x:y'), 'x:y');
  });
});

describe('forwardedValue', () => {
  test('the item the nearest trusted proxy appended: numProxies from the right', () => {
    assert.equal(forwardedValue('spoofed, 1.2.3.4', 1), '1.2.3.4');
    assert.equal(forwardedValue('spoofed, 1.2.3.4, 10.0.0.2', 2), '1.2.3.4');
    assert.equal(forwardedValue('1.2.3.4', 3), '1.2.3.4', 'fewer items than proxies: the leftmost');
    assert.equal(forwardedValue(['a, b', 'c'], 1), 'c');
  });

  test('absent or empty: undefined', () => {
    assert.equal(forwardedValue(undefined, 1), undefined);
    assert.equal(forwardedValue('', 1), undefined);
    assert.equal(forwardedValue(' , ,', 1), undefined);
  });
});

describe('clientAddress', () => {
  test('without NUM_PROXIES: the peer, canonical, whatever X-Forwarded-For says', () => {
    assert.equal(clientAddress('::ffff:127.0.0.1', '9.9.9.9', null), '127.0.0.1');
    assert.equal(clientAddress('::1', '9.9.9.9', 0), '::1');
  });

  test('with NUM_PROXIES: the forwarded address, canonical', () => {
    assert.equal(clientAddress('10.0.0.1', 'spoofed, ::ffff:0102:0304', 1), '1.2.3.4');
    assert.equal(clientAddress('10.0.0.1', '2001:0db8:0000:0000:0000:0000:0000:0002', 1), '2001:db8::2');
  });

  test('with NUM_PROXIES, a forwarded value that is not an address, or none: the peer', () => {
    for (const xff of ['not-an-ip', '1.2.3.4.5', '', undefined, 'unknown']) {
      assert.equal(clientAddress('::ffff:10.0.0.1', xff, 1), '10.0.0.1', JSON.stringify(xff));
    }
  });

  test('a peer that does not parse is kept as it is; none at all is empty', () => {
    assert.equal(clientAddress(undefined, undefined, null), '');
  });
});
