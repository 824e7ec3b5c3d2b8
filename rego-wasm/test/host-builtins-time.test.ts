/**
 * time.* host builtins follow Go's time package as OPA uses it. Expected
 * values come from OPA's `time` compliance cases and Go's documented layouts.
 */
import { hostBuiltins, type JsonValue } from '../src/builtins/host';
import { formatTime, parseDuration, parseTime, UTC } from '../src/builtins/host/go-time';

function call(name: string, ...args: JsonValue[]): JsonValue | undefined {
  const fn = hostBuiltins[name];
  if (!fn) throw new Error(`no host builtin ${name}`);
  return fn(...args);
}

describe('time.parse_ns / time.parse_rfc3339_ns (Go layouts)', () => {
  test.each<[string, string, string, number | undefined]>([
    ['RFC3339 with offset', '2006-01-02T15:04:05Z07:00', '2017-06-02T19:00:00-07:00', 1496455200000000000],
    ['12-hour clock, 2-digit year', "01/02 03:04:05PM '06 -0700", "06/02 07:00:00PM '17 -0700", 1496455200000000000],
    ['month name', '02 Jan 06 15:04 -0700', '02 Jun 17 19:00 -0700', 1496455200000000000],
    ['named layout constant RFC822Z', 'RFC822Z', '02 Jun 17 19:00 -0700', 1496455200000000000],
    ['date only is midnight UTC', '2006-01-02', '2020-02-02', 1580601600000000000],
    ['smallest int64 instant', '2006-01-02T15:04:05Z07:00', '1677-09-21T00:12:43.145224192-00:00', -9223372036854775808],
    ['largest int64 instant', '2006-01-02T15:04:05Z07:00', '2262-04-11T23:47:16.854775807-00:00', 9223372036854775807],
    ['one ns below int64 is undefined', '2006-01-02T15:04:05Z07:00', '1677-09-21T00:12:43.145224191-00:00', undefined],
    ['one ns above int64 is undefined', '2006-01-02T15:04:05Z07:00', '2262-04-11T23:47:16.854775808-00:00', undefined],
    ['mismatching text is undefined', '2006-01-02', '2020/02/02', undefined],
    ['February 30 is undefined', '2006-01-02', '2021-02-30', undefined],
  ])('%s', (_n, layout, value, want) => expect(call('time.parse_ns', layout, value)).toBe(want));

  test('parsing is exact to the nanosecond before the JSON boundary', () => {
    expect(parseTime('2006-01-02T15:04:05Z07:00', '2017-06-02T19:00:00.123456789Z')).toBe(1496430000123456789n);
    expect(parseTime('Jan _2 2006 3:04pm MST', 'Jun  2 2017 7:00pm UTC')).toBe(1496430000000000000n);
  });

  test('time.parse_rfc3339_ns accepts fractional seconds and Z', () => {
    expect(call('time.parse_rfc3339_ns', '2017-06-02T19:00:00.123Z')).toBe(1496430000123000000);
    expect(call('time.parse_rfc3339_ns', 'June 2nd')).toBeUndefined();
  });
});

describe('time.date / clock / weekday / add_date / diff / format', () => {
  test.each<[string, JsonValue, JsonValue | undefined]>([
    ['UTC date', 1517814000 * 1e9, [2018, 2, 5]],
    ['date in America/Los_Angeles', [1517814000 * 1e9, 'America/Los_Angeles'], [2018, 2, 4]],
    ['empty tz is UTC', [1517832000 * 1e9, ''], [2018, 2, 5]],
    ['leap day', 1582977600 * 1e9, [2020, 2, 29]],
    ['timestamp beyond int64 is undefined', 1582977600 * 1e12, undefined],
    ['unknown zone is undefined', [0, 'Mars/Olympus'], undefined],
  ])('time.date: %s', (_n, arg, want) => expect(call('time.date', arg)).toEqual(want));

  test('time.clock and time.weekday', () => {
    expect(call('time.clock', 1517832000 * 1e9)).toEqual([12, 0, 0]);
    expect(call('time.weekday', 1518004800000000000)).toBe('Wednesday');
    expect(call('time.weekday', 1518264000000000000)).toBe('Saturday');
  });

  test('time.add_date adds years, months, days and checks the int64 range', () => {
    expect(call('time.add_date', 1585852421593912000, 3, 9, 12)).toBe(1705257221593912000);
    expect(call('time.add_date', 1585852421593912000, -1, -1, -1)).toBe(1551465221593912000);
    expect(call('time.add_date', 0, 2262, 1, 1)).toBeUndefined();
    expect(call('time.add_date', -9223372036854775808, 0, 0, -1)).toBeUndefined();
  });

  test('time.diff returns [y, m, d, h, min, s] in the first zone', () => {
    const p = (s: string): JsonValue => call('time.parse_ns', '2006-01-02', s) ?? null;
    expect(call('time.diff', 61e9, 0)).toEqual([0, 0, 0, 0, 1, 1]);
    expect(call('time.diff', [60e9 + 1e18, 'UTC'], [1e18, 'Asia/Shanghai'])).toEqual([0, 0, 0, 0, 1, 0]);
    expect(call('time.diff', p('2020-02-02'), p('2020-03-01'))).toEqual([0, 0, 28, 0, 0, 0]);
    expect(call('time.diff', p('2021-02-02'), p('2021-03-01'))).toEqual([0, 0, 27, 0, 0, 0]);
    expect(call('time.diff', p('2004-02-29'), p('2005-03-01'))).toEqual([1, 0, 1, 0, 0, 0]);
  });

  test('time.format uses RFC3339Nano by default, zones and layout constants', () => {
    const ns = 1670006453141828752n;
    expect(formatTime(ns, UTC, '2006-01-02T15:04:05.999999999Z07:00')).toBe('2022-12-02T18:40:53.141828752Z');
    expect(call('time.format', [1670006453e9, 'Asia/Kolkata'])).toBe('2022-12-03T00:10:53+05:30');
    expect(call('time.format', [1670006453e9, 'Asia/Kolkata', 'Mon Jan 02 15:04:05 -0700 2006'])).toBe('Sat Dec 03 00:10:53 +0530 2022');
    expect(call('time.format', [1670006453e9, 'Asia/Kolkata', 'RFC1123Z'])).toBe('Sat, 03 Dec 2022 00:10:53 +0530');
    expect(call('time.format', [1670006453e9, 'America/New_York', 'RFC1123'])).toBe('Fri, 02 Dec 2022 13:40:53 EST');
    expect(call('time.format', 1582977600 * 10e12)).toBeUndefined();
  });

  test.each([
    ['Asia/Kolkata', 'IST'],
    ['Europe/Paris', 'CET'],
    ['America/New_York', 'EST'],
    ['Asia/Tokyo', 'JST'],
    ['America/Sao_Paulo', '-03'],
    ['Asia/Kathmandu', '+0545'],
  ])('the MST layout element prints the tzdata abbreviation in %s (%s)', (tz, abbr) => {
    expect(call('time.format', [1670006453e9, tz, 'MST'])).toBe(abbr);
  });

  test('time.now_ns is close to the wall clock', () => {
    const now = call('time.now_ns');
    expect(typeof now).toBe('number');
    expect(Math.abs((now as number) / 1e6 - Date.now())).toBeLessThan(5000);
  });
});

describe('time.parse_duration_ns (Go ParseDuration)', () => {
  test.each<[string, bigint]>([
    ['1h30m', 5400000000000n],
    ['-1.5h', -5400000000000n],
    ['300ms', 300000000n],
    ['1µs', 1000n],
    ['0', 0n],
    ['2h45m10.5s', 9910500000000n],
  ])('%s', (s, want) => expect(parseDuration(s)).toBe(want));
  test.each(['1x', '', 'h', '1', '9999999999999h'])('%j is undefined', (s) => expect(call('time.parse_duration_ns', s)).toBeUndefined());
});
