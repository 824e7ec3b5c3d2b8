/**
 * net.cidr_* host builtins follow Go's `net` package as OPA uses it.
 * Expected values come from OPA's netcidr* compliance cases.
 */
import { hostBuiltins, type JsonValue } from '../src/builtins/host';
import { formatIp, parseIp } from '../src/builtins/host/ip';

function call(name: string, ...args: JsonValue[]): JsonValue | undefined {
  const fn = hostBuiltins[name];
  if (!fn) throw new Error(`no host builtin ${name}`);
  return fn(...args);
}

const sorted = (v: JsonValue | undefined): JsonValue | undefined =>
  Array.isArray(v) ? [...v].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)) : v;

describe('net.cidr_contains / net.cidr_intersects / net.cidr_is_valid', () => {
  test.each<[string, string, string, boolean | undefined]>([
    ['cidr contains subnet', '10.0.0.0/8', '10.1.0.0/24', true],
    ['cidr does not contain a larger subnet', '172.17.0.0/24', '172.17.0.0/16', false],
    ['cidr does not contain a foreign subnet', '10.0.0.0/8', '192.168.1.0/24', false],
    ['ipv6 cidr contains subnet', '2001:4860:4860::8888/32', '2001:4860:4860:1234::8888/40', true],
    ['ipv6 cidr contains single ip subnet', '2001:4860:4860::8888/32', '2001:4860:4860:1234:5678:1234:5678:8888/128', true],
    ['ipv6 does not contain a larger subnet', '2001:4860::/96', '2001:4860::/32', false],
    ['ipv6 does not contain a foreign subnet', '2001:4860::/32', 'fd1e:5bfe:8af3:9ddc::/64', false],
    ['malformed cidr a is undefined', 'not-a-cidr', '192.168.1.67', undefined],
    ['malformed cidr b is undefined', '192.168.1.0/28', 'not-a-cidr', undefined],
    ['cidr contains ip', '10.0.0.0/8', '10.1.2.3', true],
    ['cidr does not contain ip', '10.0.0.0/8', '192.168.1.1', false],
    ['IPv4-mapped IPv6 address is in an IPv4 block', '10.0.0.0/8', '::ffff:10.1.2.3', true],
    ['leading zeros are rejected like Go', '10.0.0.0/8', '010.1.2.3', undefined],
  ])('net.cidr_contains: %s', (_n, a, b, want) => {
    expect(call('net.cidr_contains', a, b)).toBe(want);
    expect(call('net.cidr_overlap', a, b)).toBe(want);
  });

  test.each<[string, string, boolean | undefined]>([
    ['192.168.1.0/25', '192.168.1.64/25', true],
    ['fd1e:5bfe:8af3:9ddc::/64', 'fd1e:5bfe:8af3:9ddc:1111::/72', true],
    ['fd1e:5bfe:8af3:9ddc::/64', '2001:4860:4860::8888/32', false],
    ['not-a-cidr', '192.168.1.0/24', undefined],
    ['192.168.1.0/28', 'not-a-cidr', undefined],
  ])('net.cidr_intersects(%j, %j) is %j', (a, b, want) => expect(call('net.cidr_intersects', a, b)).toBe(want));

  test.each<[JsonValue, boolean]>([
    ['192.168.1.0/24', true],
    ['', false],
    ['there goes a string', false],
    ['192.168.1.2', false],
    ['2002::1234:abcd:ffff:c0a8:101/64', true],
    ['192.168.1.0/33', false],
    [7, false],
  ])('net.cidr_is_valid(%j) is %j', (v, want) => expect(call('net.cidr_is_valid', v)).toBe(want));
});

describe('net.cidr_expand / net.cidr_contains_matches / net.cidr_merge', () => {
  test('net.cidr_expand lists every address including network and broadcast', () => {
    expect(call('net.cidr_expand', '192.168.1.1/30')).toEqual(['192.168.1.0', '192.168.1.1', '192.168.1.2', '192.168.1.3']);
    expect(call('net.cidr_expand', '172.16.100.255/30')).toEqual(['172.16.100.252', '172.16.100.253', '172.16.100.254', '172.16.100.255']);
    expect(call('net.cidr_expand', '192.168.1.1/32')).toEqual(['192.168.1.1']);
    expect(call('net.cidr_expand', '192.168.1.1/33')).toBeUndefined();
  });

  test('net.cidr_expand refuses huge blocks instead of allocating them', () => {
    expect(call('net.cidr_expand', '10.0.0.0/8')).toBeUndefined();
    expect(call('net.cidr_expand', '::/0')).toBeUndefined();
    expect((call('net.cidr_expand', '10.0.0.0/16') as string[]).length).toBe(65536);
  });

  test('net.cidr_contains_matches pairs indices (arrays) and keys (objects)', () => {
    expect(sorted(call('net.cidr_contains_matches', ['1.1.2.0/24', '1.1.1.0/24'], ['1.1.1.1', '1.1.2.1']))).toEqual([[0, 1], [1, 0]]);
    expect(sorted(call('net.cidr_contains_matches', { k1: '1.1.1.1/24', k2: ['1.1.1.2/24', 1] }, '1.1.1.128'))).toEqual([
      ['k1', '1.1.1.128'],
      ['k2', '1.1.1.128'],
    ]);
    expect(call('net.cidr_contains_matches', ['1.1.2.0/24'], ['1.1.1.1', 3])).toBeUndefined();
    expect(call('net.cidr_contains_matches', ['1.1.2.0/24'], [[], ['1.1.2.1', 'qux']])).toBeUndefined();
  });

  test.each<[string, JsonValue, JsonValue | undefined]>([
    ['ipv6 with prefix', ['2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128'], ['2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128']],
    ['ipv6 same twice', ['2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128', '2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128'], ['2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128']],
    ['ipv6 contained prefix', ['2601:600:8a80:207e:a57d:7567:e2c9:e7b3/64', '2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128'], ['2601:600:8a80:207e::/64']],
    ['ipv6 without prefix is undefined', ['2601:600:8a80:207e:a57d:7567:e2c9:e7b3'], undefined],
    ['single subnet', ['192.0.128.0/24'], ['192.0.128.0/24']],
    ['duplicate', ['192.0.128.0/24', '192.0.128.0/24'], ['192.0.128.0/24']],
    ['IPv4 zero address', ['192.0.128.0/24', '0.0.0.0/0'], ['0.0.0.0/0']],
    ['merge subnets case 1', ['192.0.128.0/24', '192.0.129.0/24'], ['192.0.128.0/23']],
    ['merge subnets case 2', ['192.0.2.112/30', '192.0.2.116/31', '192.0.2.118/31'], ['192.0.2.112/29']],
    ['no overlap case 1', ['192.0.129.0/24', '192.0.130.0/24'], ['192.0.129.0/24', '192.0.130.0/24']],
    ['no overlap case 2', ['192.0.2.112/30', '192.0.2.116/32', '192.0.2.118/31'], ['192.0.2.112/30', '192.0.2.116/32', '192.0.2.118/31']],
    ['mix case 1', ['192.0.2.112/31', '192.0.2.116/31', '192.0.2.118/31'], ['192.0.2.112/31', '192.0.2.116/30']],
    [
      'mix case 2',
      ['192.0.1.254/31', '192.0.2.0/28', '192.0.2.16/28', '192.0.2.32/28', '192.0.2.48/28', '192.0.2.64/28', '192.0.2.80/28', '192.0.2.96/28', '192.0.2.112/28', '192.0.2.128/28', '192.0.2.144/28', '192.0.2.160/28', '192.0.2.176/28', '192.0.2.192/28', '192.0.2.208/28', '192.0.2.224/28', '192.0.2.240/28', '192.0.3.0/28'],
      ['192.0.1.254/31', '192.0.2.0/24', '192.0.3.0/28'],
    ],
    ['IPv6 zero address case 1', ['::/0', 'fe80::1/128'], ['::/0']],
    ['IPv6 zero address case 2', ['::/0', '::192.0.2.0/124', 'ff00::101/128'], ['::/0']],
    ['IPv4 and IPv6', ['fe80::/120', '192.0.2.0/24', '192.0.3.0/24', '192.0.4.0/25', '192.0.4.128/25'], ['192.0.2.0/23', '192.0.4.0/24', 'fe80::/120']],
    ['empty', [], []],
    ['ip and subnets (class C default mask)', ['192.0.2.112', '192.0.2.116/31', '192.0.2.118/31'], ['192.0.2.0/24']],
    ['ip addresses', ['192.0.128.0', '192.0.129.0'], ['192.0.128.0/23']],
    ['invalid IP is undefined', ['foo'], undefined],
  ])('net.cidr_merge: %s', (_n, arg, want) => expect(sorted(call('net.cidr_merge', arg))).toEqual(want));
});

describe('Go IP text forms', () => {
  test.each([
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::', '::'],
    ['2001:DB8::', '2001:db8::'],
    ['1:0:2:0:3:0:4:0', '1:0:2:0:3:0:4:0'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
  ])('%s prints as %s', (input, want) => {
    const ip = parseIp(input);
    expect(ip).toBeDefined();
    if (ip) expect(formatIp(ip)).toBe(want);
  });
  test.each(['1.2.3', '1.2.3.256', '1::2::3', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0'])('%s is not an IP', (s) => expect(parseIp(s)).toBeUndefined());
});
