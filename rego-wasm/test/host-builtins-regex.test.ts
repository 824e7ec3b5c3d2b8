/**
 * regex.* / glob.* host builtins follow Go regexp (RE2) and gobwas/glob
 * semantics. Expected values come from OPA's compliance cases
 * (regexfind, regexfindallstringsubmatch, regexisvalid, regexmatch,
 * regexmatchtemplate, regexreplace, globmatch, globquotemeta, globsmatch).
 */
import { hostBuiltins, strictHostBuiltins, type JsonValue } from '../src/builtins/host';

function call(name: string, ...args: JsonValue[]): JsonValue | undefined {
  const fn = hostBuiltins[name];
  if (!fn) throw new Error(`no host builtin ${name}`);
  return fn(...args);
}

type Row = [string, JsonValue[], JsonValue | undefined];

const rows: Row[] = [
  ['regex.find_n returns at most n matches', ['a.', 'paranormal', 2], ['ar', 'an']],
  ['regex.find_n with no match returns an empty array', ['bork', 'paranormal', -1], []],
];
const submatch: Row[] = [
  ['no matches gives an empty array', ['a(x*)b', '-', -1], []],
  ['unmatched capture is the empty string', ['a(x*)b', '-ab-', -1], [['ab', '']]],
  ['single match with a capture', ['a(x*)b', '-axxb-', -1], [['axxb', 'xx']]],
  ['multiple matches in order', ['a(x*)b', '-axxb-ab-', -1], [['axxb', 'xx'], ['ab', '']]],
  ['optional group absent is the empty string', ['[^aouiye]([aouiye])([^aouiye])?', 'somestri', -1], [['som', 'o', 'm'], ['ri', 'i', '']]],
  ['n limits the number of matches', ['[^aouiye]([aouiye])([^aouiye])?', 'somestri', 1], [['som', 'o', 'm']]],
];
const replace: Row[] = [
  ['replaces every match', ['-wy-wxxy-', 'w(x*)y', '0'], '-0-0-'],
  ['expands $1 group references', ['foo', '(foo)', '$1$1'], 'foofoo'],
  ['a syntax error is undefined', ['foo', '[', '$1'], undefined],
  ['^ anchors only at the start of the input', ['foo', '^[a-z]', 'F'], 'Foo'],
  ['anchored pattern without match leaves the input', ['foo', '^[a-z]$', 'F'], 'foo'],
  ['anchored full match', ['foo', '^[a-z]+$', 'M'], 'M'],
  ['$ anchors at the end', ['foo', '[a-z]$', 'F'], 'foF'],
  ['per-character replacement', ['foo bar', '[a-z]', '_'], '___ ___'],
  ['counted repetition', ['foo barx', '[a-z]{3}', '_'], '_ _x'],
  ['counted repetition, 2', ['foo barx', '[a-z]{2}', '_'], '_o __'],
  ['empty matches are replaced between characters (Go ReplaceAllString)', ['abc', 'x*', '-'], '-a-b-c-'],
  ['${name} expands a named group and $$ is a dollar', ['ab', '(?P<first>a)', '${first}$$'], 'a$b'],
  ['$1x refers to the (missing) group "1x" and expands to nothing', ['ab', '(a)', '$1x'], 'b'],
];
const glob: Row[] = [
  ['** crosses delimiters', ['api.**.com', ['.'], 'api.github.com'], true],
  ['** crosses several delimiters', ['api.**.com', ['.'], 'api.cdn.github.com'], true],
  ['* with a : delimiter', ['*:github:com', [':'], 'api:github:com'], true],
  ['* does not cross a literal mismatch', ['*.github.com', ['.'], 'api.not-github.com'], false],
  ['character list', ['[abc]at', [], 'fat'], false],
  ['negated character list', ['[!abc]at', [], 'fat'], true],
  ['negated character list excludes', ['[!abc]at', [], 'cat'], false],
  ['character range', ['[a-c]at', [], 'bat'], true],
  ['negated character range', ['[!a-c]at', [], 'bat'], false],
  ['? needs one character', ['?at', [], 'at'], false],
  ['? does not match a delimiter', ['?at', ['f'], 'fat'], false],
  ['alternatives (bat)', ['{cat,bat,[fr]at}', [], 'bat'], true],
  ['alternatives (fat)', ['{cat,bat,[fr]at}', [], 'fat'], true],
  ['alternatives (rat)', ['{cat,bat,[fr]at}', [], 'rat'], true],
  ['alternatives need a full match', ['{cat,bat,[fr]at}', [], 'at'], false],
  ['* matches one segment', ['*', ['.'], 'foo'], true],
  ['* with default delimiter', ['*', [], 'foo'], true],
  ['* stops at the . delimiter', ['*', ['.'], 'foo.bar'], false],
  ['an empty delimiter list means "."', ['*', [], 'foo.bar'], false],
  ['null delimiters: * matches everything', ['*', null, 'foo.bar'], true],
  ['null delimiters with a prefix', ['foo*', null, 'foo.bar'], true],
  ['escaped * is literal', ['\\*.com', [], '*.com'], true],
  ['unclosed [ is an error (undefined)', ['[abc', [], 'a'], undefined],
  ['unclosed { is an error (undefined)', ['{a,b', [], 'a'], undefined],
  ['a trailing backslash is an error (undefined)', ['a\\', null, 'a'], undefined],
  ['an empty character list is an error (undefined)', ['[]', null, 'a'], undefined],
  ['a reversed range is an error (undefined)', ['[c-a]', null, 'b'], undefined],
];
const globs: Row[] = [
  ['intersecting globs', ['a.a.[0-9]+z', '.b.b2359825792*594823z'], true],
  ['letters and digits never intersect', ['[a-z]+', '[0-9]*'], false],
  ['escaped brackets do not match a set', ['[a-z]+\\[[0-9]+\\]', 'foo["bar"]'], false],
  ['b.* intersects a literal starting with b', ['b.*', 'bar'], true],
  ['both matching only the empty string is not an intersection', ['a*', 'b*'], false],
  ['a leading flag is an error (undefined)', ['+a', 'a'], undefined],
];

describe('regex host builtins (Go regexp semantics)', () => {
  test.each(rows)('%s', (_n, args, want) => expect(call('regex.find_n', ...args)).toEqual(want));
  test.each(submatch)('regex.find_all_string_submatch_n: %s', (_n, args, want) =>
    expect(call('regex.find_all_string_submatch_n', ...args)).toEqual(want),
  );
  test.each(replace)('regex.replace: %s', (_n, args, want) => expect(call('regex.replace', ...args)).toEqual(want));

  test.each<[string, string, boolean | undefined]>([
    ['^[a-z]+\\[[0-9]+\\]$', 'foo[1]', true],
    ['^$', '', true],
    ['', '', true],
    ['', 'x', true],
    ['^$', 'something', false],
    ['$^[[[', 'something', undefined],
  ])('regex.match(%j, %j) is %j', (p, s, want) => {
    expect(call('regex.match', p, s)).toBe(want);
    expect(call('re_match', p, s)).toBe(want);
  });

  test('regex.is_valid is false for bad patterns and non-strings, true for good ones', () => {
    expect(call('regex.is_valid', '++')).toBe(false);
    expect(call('regex.is_valid', 12)).toBe(false);
    expect(call('regex.is_valid', '.+')).toBe(true);
    expect(call('regex.is_valid', 'a{1001}')).toBe(false);
  });

  test('RE2 syntax: named groups, Unicode classes and POSIX classes compile; lookahead is rejected', () => {
    expect(call('regex.match', '^(?P<a>\\pL+)[[:digit:]]$', 'é1')).toBe(true);
    expect(call('regex.is_valid', '(?=a)')).toBe(false);
  });

  test('matching is linear-time on a pathological pattern', () => {
    const start = Date.now();
    expect(call('regex.match', '^(a+)+$', `${'a'.repeat(5000)}b`)).toBe(false);
    expect(Date.now() - start).toBeLessThan(2000);
  });

  test('regex.template_match matches the inner pattern and quotes the rest', () => {
    expect(call('regex.template_match', 'urn:foo:{.*}', 'urn:foo:bar:baz', '{', '}')).toBe(true);
    expect(call('regex.template_match', 'urn:foo.{[0-9]+}', 'urn:fooX12', '{', '}')).toBe(false);
    expect(call('regex.template_match', 'urn:foo:<[0-9]{2}>', 'urn:foo:12', '<', '>')).toBe(true);
    expect(call('regex.template_match', 'urn:{a', 'urn:a', '{', '}')).toBeUndefined();
  });

  test('strict table reports the builtin error instead of undefined', () => {
    expect(() => strictHostBuiltins['regex.match']?.('[', 'x')).toThrow(/regex.match/);
    expect(() => strictHostBuiltins['regex.match']?.(1, 'x')).toThrow(/operand 1 must be string/);
  });
});

describe('glob host builtins (gobwas/glob semantics)', () => {
  test.each(glob)('glob.match: %s', (_n, args, want) => expect(call('glob.match', ...args)).toBe(want));
  test('glob.quote_meta escapes glob metacharacters', () => {
    expect(call('glob.quote_meta', '*.github.com')).toBe('\\*.github.com');
    expect(call('glob.quote_meta', '[a]{b}?\\')).toBe('\\[a\\]\\{b\\}\\?\\\\');
  });
  test.each(globs)('regex.globs_match: %s', (_n, args, want) => expect(call('regex.globs_match', ...args)).toBe(want));
  test('long globs work up to the 16 KiB cap and are undefined beyond it', () => {
    expect(call('glob.match', `${'a.'.repeat(5000)}*`, ['.'], `${'a.'.repeat(5000)}b`)).toBe(true);
    expect(call('glob.match', 'x'.repeat(17 * 1024), [], 'x')).toBeUndefined();
  });
  test('glob matching of a pathological pattern is fast', () => {
    const start = Date.now();
    expect(call('glob.match', '*a*a*a*a*a*a*a*a*b', null, 'a'.repeat(3000))).toBe(false);
    expect(Date.now() - start).toBeLessThan(2000);
  });
});

describe('strings.render_template (Go text/template subset)', () => {
  test.each<[string, string, JsonValue, string | undefined]>([
    ['a field', '{{.test}}', { test: 'hello world' }, 'hello world'],
    ['a number prints like Go', '{{.test}}', { test: 2023 }, '2023'],
    ['range with index and if', '{{range $i, $name := .hellonames}}{{if $i}},{{end}}hello {{$name}}{{end}}', { hellonames: ['rohan', 'john doe'] }, 'hello rohan,hello john doe'],
    ['a missing key renders <undefined>', 'test {{.foo}} {{.bar}} {{.baz}}', { baz: 1 }, 'test <undefined> <undefined> 1'],
    ['else if chains', '{{if eq .a 1}}one{{else if eq .a 2}}two{{else}}many{{end}}', { a: 2 }, 'two'],
    ['trim markers remove whitespace', '{{- range .xs }} [{{ . }}] {{- end }}!', { xs: [1, 2] }, ' [1] [2]!'],
    ['with, len, index and composite printing', '{{with .o}}{{.k}}{{end}} {{len .xs}} {{index .xs 1}} {{.xs}} {{.o}}', { o: { k: 'v' }, xs: ['a', 'b'] }, 'v 2 b [a b] map[k:v]'],
    ['an unknown function is undefined', '{{.a | printf "%s"}}', { a: 1 }, undefined],
    ['an unclosed block is undefined', '{{if .a}}', { a: 1 }, undefined],
  ])('%s', (_n, tpl, vars, want) => expect(call('strings.render_template', tpl, vars)).toBe(want));
});

describe('strings.any_prefix_match / any_suffix_match / count', () => {
  test.each<[string, JsonValue, JsonValue, boolean | undefined]>([
    ['strings.any_prefix_match', ['a/b/c', 'e/f/g'], ['a/', 'd/'], true],
    ['strings.any_prefix_match', ['a/b/c', 'e/f/g'], ['f/', 'd/'], false],
    ['strings.any_prefix_match', 'a/b/c', ['a/'], true],
    ['strings.any_prefix_match', ['a/b/c'], 'a/', true],
    ['strings.any_prefix_match', [], [], false],
    ['strings.any_prefix_match', [1, 2], ['f/'], undefined],
    ['strings.any_prefix_match', 1, ['f/'], undefined],
    ['strings.any_suffix_match', ['a/b/c', 'e/f/g'], ['/c'], true],
    ['strings.any_suffix_match', 'a/b/g', ['/c', '/a'], false],
  ])('%s(%j, %j) is %j', (fn, a, b, want) => expect(call(fn, a, b)).toBe(want));

  test.each<[string, string, number]>([
    ['cheese', 'e', 3],
    ['hello hello hello world', 'hello', 3],
    ['dummy', 'x', 0],
    ['dummy', '', 6],
    ['', '', 1],
    ['', 'x', 0],
    ['11111', '11', 2],
    ['11111', '11111', 1],
  ])('strings.count(%j, %j) is %j', (s, sub, want) => expect(call('strings.count', s, sub)).toBe(want));
});
