/**
 * units.* and semver.* host builtins. The units rows are OPA's own
 * compliance expectations (category `units`): `[case note, builtin, input, want]`.
 */
import { hostBuiltins, type JsonValue } from '../src/builtins/host';

function call(name: string, ...args: JsonValue[]): JsonValue | undefined {
  const fn = hostBuiltins[name];
  if (!fn) throw new Error(`no host builtin ${name}`);
  return fn(...args);
}

const unitsRows: Array<[string, string, string, number | undefined]> = [
  ["units_parse/exact comparison - regression case 1", "units.parse", "500m", 0.5],
  ["units_parse/exact comparison - regression case 2", "units.parse", "0.0005K", 0.5],
  ["units_parse/exact comparison - regression case 3", "units.parse", "0.0000005M", 0.5],
  ["units_parse_bytes/failure", "units.parse_bytes", "", undefined],
  ["units_parse_bytes/failure", "units.parse_bytes", "GB", undefined],
  ["units_parse_bytes/failure", "units.parse_bytes", "foo", undefined],
  ["units_parse_bytes/failure", "units.parse_bytes", "0.0.0", undefined],
  ["units_parse_bytes/failure", "units.parse_bytes", ".5.2", undefined],
  ["units_parse_bytes/failure", "units.parse_bytes", "100 kb", undefined],
  ["units_parse_bytes/failure", "units.parse_bytes", " 327MiB ", undefined],
  ["units_parse_bytes/removes quotes and lowercases string", "units.parse_bytes", "\"100TIB\"", 109951162777600],
  ["units_parse_bytes/zero", "units.parse_bytes", "0", 0],
  ["units_parse_bytes/zero float", "units.parse_bytes", "0.0", 0],
  ["units_parse_bytes/zero bare float", "units.parse_bytes", ".0", 0],
  ["units_parse_bytes/raw number", "units.parse_bytes", "12345", 12345],
  ["units_parse_bytes/10 kilobytes uppercase", "units.parse_bytes", "10KB", 10000],
  ["units_parse_bytes/10 KiB uppercase", "units.parse_bytes", "10KIB", 10240],
  ["units_parse_bytes/10 KB lowercase", "units.parse_bytes", "10kb", 10000],
  ["units_parse_bytes/10 KiB mixed case", "units.parse_bytes", "10Kib", 10240],
  ["units_parse_bytes/200 megabytes as mb", "units.parse_bytes", "200mb", 200000000],
  ["units_parse_bytes/300 GiB", "units.parse_bytes", "300GiB", 322122547200],
  ["units_parse_bytes/1.1 KB floating point", "units.parse_bytes", "1.1KB", 1100],
  ["units_parse_bytes/1.1 KiB floating point rounded", "units.parse_bytes", "1.1KiB", 1126],
  ["units_parse_bytes/.5 KB bare floating point", "units.parse_bytes", ".5KB", 500],
  ["units_parse_bytes/100 kilobytes as k", "units.parse_bytes", "100k", 100000],
  ["units_parse_bytes/100 kilobytes as kb", "units.parse_bytes", "100kb", 100000],
  ["units_parse_bytes/100 kibibytes as ki", "units.parse_bytes", "100ki", 102400],
  ["units_parse_bytes/100 kibibytes as kib", "units.parse_bytes", "100kib", 102400],
  ["units_parse_bytes/100 megabytes as m", "units.parse_bytes", "100m", 100000000],
  ["units_parse_bytes/100 megabytes as mb", "units.parse_bytes", "100mb", 100000000],
  ["units_parse_bytes/100 mebibytes as mi", "units.parse_bytes", "100mi", 104857600],
  ["units_parse_bytes/100 mebibytes as mib", "units.parse_bytes", "100mib", 104857600],
  ["units_parse_bytes/100 gigabytes as g", "units.parse_bytes", "100g", 100000000000],
  ["units_parse_bytes/100 gigabytes as gb", "units.parse_bytes", "100gb", 100000000000],
  ["units_parse_bytes/100 gibibytes as gi", "units.parse_bytes", "100gi", 107374182400],
  ["units_parse_bytes/100 gibibytes as gib", "units.parse_bytes", "100gib", 107374182400],
  ["units_parse_bytes/100 terabytes as t", "units.parse_bytes", "100t", 100000000000000],
  ["units_parse_bytes/100 terabytes as tb", "units.parse_bytes", "100tb", 100000000000000],
  ["units_parse_bytes/100 tebibytes as ti", "units.parse_bytes", "100ti", 109951162777600],
  ["units_parse_bytes/100 tebibytes as tib", "units.parse_bytes", "100tib", 109951162777600],
  ["units_parse_bytes/100 petabytes as p", "units.parse_bytes", "100p", 100000000000000000],
  ["units_parse_bytes/100 petabytes as pb", "units.parse_bytes", "100pb", 100000000000000000],
  ["units_parse_bytes/100 pebibytes as pi", "units.parse_bytes", "100pi", 112589990684262400],
  ["units_parse_bytes/100 pebibytes as pib", "units.parse_bytes", "100pib", 112589990684262400],
  ["units_parse_bytes/10 etabytes as e", "units.parse_bytes", "10e", 10000000000000000000],
  ["units_parse_bytes/10 etabytes as eb", "units.parse_bytes", "10eb", 10000000000000000000],
  ["units_parse_bytes/10 ebibytes as ei", "units.parse_bytes", "10ei", 11529215046068469760],
  ["units_parse_bytes/10 ebibytes as eib", "units.parse_bytes", "10eib", 11529215046068469760],
  ["units_parse_bytes/scientific notation with KB", "units.parse_bytes", "1e3KB", 1000000],
  ["units_parse_bytes/uppercase scientific notation with MiB", "units.parse_bytes", "3.2E2MiB", 335544320],
  ["units_parse_bytes/mixed case scientific notation with GiB", "units.parse_bytes", "4.5e1GiB", 48318382080],
  ["units_parse_bytes/scientific notation without unit", "units.parse_bytes", "5e6", 5000000],
  ["units_parse_bytes/scientific notation with negative exponent and KB", "units.parse_bytes", "1e-2KB", 10],
  ["units_parse_bytes/uppercase scientific notation with GB", "units.parse_bytes", "6.4E1GB", 64000000000],
  ["units_parse_bytes/mixed case scientific notation with TiB", "units.parse_bytes", "7.5e1TiB", 82463372083200],
  ["units_parse_bytes/scientific notation with lowercase MiB", "units.parse_bytes", "5e2MiB", 524288000],
  ["units_parse_bytes/scientific notation with lowercase scientific notation and GiB", "units.parse_bytes", "2e2GiB", 214748364800],
  ["units_parse/failure", "units.parse", "", undefined],
  ["units_parse/failure", "units.parse", "G", undefined],
  ["units_parse/failure", "units.parse", "foo", undefined],
  ["units_parse/failure", "units.parse", "0.0.0", undefined],
  ["units_parse/failure", "units.parse", ".5.2", undefined],
  ["units_parse/failure", "units.parse", "100 k", undefined],
  ["units_parse/failure", "units.parse", " 327Mi ", undefined],
  ["units_parse/removes quotes and lowercases string", "units.parse", "\"100TI\"", 109951162777600],
  ["units_parse/zero", "units.parse", "0", 0],
  ["units_parse/zero float", "units.parse", "0.0", 0],
  ["units_parse/zero bare float", "units.parse", ".0", 0],
  ["units_parse/raw number", "units.parse", "12345", 12345],
  ["units_parse/10 kilo uppercase", "units.parse", "10K", 10000],
  ["units_parse/10 Ki uppercase", "units.parse", "10KI", 10240],
  ["units_parse/10 K lowercase", "units.parse", "10k", 10000],
  ["units_parse/10 Ki mixed case", "units.parse", "10Ki", 10240],
  ["units_parse/200 mega", "units.parse", "200M", 200000000],
  ["units_parse/300 Gi", "units.parse", "300Gi", 322122547200],
  ["units_parse/1.1 K floating point", "units.parse", "1.1K", 1100],
  ["units_parse/1.1 Ki floating point, not rounded", "units.parse", "1.1Ki", 1126.4],
  ["units_parse/.5 K bare floating point", "units.parse", ".5K", 500],
  ["units_parse/100 kilo as k", "units.parse", "100k", 100000],
  ["units_parse/100 kilo as K", "units.parse", "100K", 100000],
  ["units_parse/100 kibi as ki", "units.parse", "100ki", 102400],
  ["units_parse/100 kibi as Ki", "units.parse", "100Ki", 102400],
  ["units_parse/100 mega as M", "units.parse", "100M", 100000000],
  ["units_parse/100 mebi as mi", "units.parse", "100mi", 104857600],
  ["units_parse/100 mebi as Mi", "units.parse", "100Mi", 104857600],
  ["units_parse/100 giga as g", "units.parse", "100g", 100000000000],
  ["units_parse/100 gibi as gi", "units.parse", "100gi", 107374182400],
  ["units_parse/100 tera as t", "units.parse", "100t", 100000000000000],
  ["units_parse/100 tera as T", "units.parse", "100T", 100000000000000],
  ["units_parse/100 tebi as ti", "units.parse", "100ti", 109951162777600],
  ["units_parse/100 tebi as Ti", "units.parse", "100Ti", 109951162777600],
  ["units_parse/100 peta as p", "units.parse", "100p", 100000000000000000],
  ["units_parse/100 peta as P", "units.parse", "100P", 100000000000000000],
  ["units_parse/100 pebi as pi", "units.parse", "100pi", 112589990684262400],
  ["units_parse/100 pebi as Pi", "units.parse", "100Pi", 112589990684262400],
  ["units_parse/10 eta as e", "units.parse", "10e", 10000000000000000000],
  ["units_parse/10 eta as E", "units.parse", "10E", 10000000000000000000],
  ["units_parse/10 ebi as ei", "units.parse", "10ei", 11529215046068469760],
  ["units_parse/10 ebi as Ei", "units.parse", "10Ei", 11529215046068469760],
  ["units_parse/1e10 lowercase scientific notation without unit", "units.parse", "1e10", 10000000000],
  ["units_parse/3.2E4 uppercase scientific notation without unit", "units.parse", "3.2E4", 32000],
  ["units_parse/2.5e3 mixed case scientific notation with K", "units.parse", "2.5e3K", 2500000],
  ["units_parse/1e3M lowercase scientific notation with M", "units.parse", "1e3M", 1000000000],
  ["units_parse/4E2G uppercase scientific notation with G", "units.parse", "4E2G", 400000000000],
  ["units_parse/5e1Gi mixed case scientific notation with Gi", "units.parse", "5e1Gi", 53687091200],
  ["units_parse/1e-2 lowercase scientific notation with negative exponent", "units.parse", "1e-2", 0.01],
  ["units_parse/7.8E-1 uppercase scientific notation with negative exponent", "units.parse", "7.8E-1", 0.78],
  ["units_parse/6e3Mi mixed case scientific notation with binary Mi", "units.parse", "6e3Mi", 6291456000],
  ["units_parse/number without exponent or unit", "units.parse", "42", 42],
  ["units_parse/negative number in scientific notation with unit", "units.parse", "-3.5E2m", -0.35],
];

describe('units.parse / units.parse_bytes (OPA compliance values)', () => {
  test.each(unitsRows)('%s: %s(%j) is %j', (_note, fn, input, want) => expect(call(fn, input)).toBe(want));

  test('units.parse keeps milli exact and distinguishes m from M', () => {
    expect(call('units.parse', '100m')).toBe(0.1);
    expect(call('units.parse', '-3.5E2m')).toBe(-0.35);
    expect(call('units.parse', '3Mi')).toBeGreaterThan(call('units.parse', '3M') as number);
  });

  test('a single trailing E is a unit (exa), not an exponent', () => {
    expect(call('units.parse', '5E')).toBe(5e18);
    expect(call('units.parse_bytes', '5E')).toBe(5e18);
  });

  test('huge exponents are rejected instead of allocating', () => {
    expect(call('units.parse', '1e9999999')).toBeUndefined();
    expect(call('units.parse_bytes', '1e999999')).toBeUndefined();
  });
});

describe('semver.is_valid / semver.compare (SemVer 2.0.0)', () => {
  test.each<[JsonValue, boolean]>([
    ['1.0.0', true],
    ['1', false],
    [1, false],
    ['1.2.3-alpha.1+build.5', true],
    ['01.2.3', false],
    ['1.2.3-01', false],
  ])('semver.is_valid(%j) is %j', (v, want) => expect(call('semver.is_valid', v)).toBe(want));

  test.each<[string, string, number | undefined]>([
    ['1.0.0', '2.0.0', -1],
    ['2.0.0', '1.0.0', 1],
    ['1.0.0', '1.0.0', 0],
    ['1', '1.0.0', undefined],
    ['1.0.0', '1', undefined],
    ['1.0.0-alpha', '1.0.0', -1],
    ['1.0.0-alpha.1', '1.0.0-alpha.beta', -1],
    ['1.0.0-beta.11', '1.0.0-beta.2', 1],
    ['1.0.0+build1', '1.0.0+build2', 0],
    ['10.0.0', '9.0.0', 1],
  ])('semver.compare(%j, %j) is %j', (a, b, want) => expect(call('semver.compare', a, b)).toBe(want));
});
