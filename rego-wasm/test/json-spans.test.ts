import { jsonSpans, JsonSpanError, spanText } from '../tools/json-spans';

describe('JSON source spans', () => {
  test('big numbers keep their digits when a value is taken by span', () => {
    const text = '{"cases":[{"data":{"n":12345678901234567890123,"f":1e400},"input":[0.10000000000000000001]}]}';
    const tree = jsonSpans(text);
    if (tree.kind !== 'object') throw new Error('expected object');
    const cases = tree.members.get('cases');
    if (cases?.kind !== 'array') throw new Error('expected array');
    const first = cases.items[0];
    if (first.kind !== 'object') throw new Error('expected object');
    expect(spanText(text, first.members.get('data'))).toBe('{"n":12345678901234567890123,"f":1e400}');
    expect(spanText(text, first.members.get('input'))).toBe('[0.10000000000000000001]');
  });

  test('strings with escaped quotes and braces do not confuse the scanner', () => {
    const text = ' { "a\\"}" : ["x\\\\", "}]" ] , "b": {} } ';
    const tree = jsonSpans(text);
    if (tree.kind !== 'object') throw new Error('expected object');
    expect([...tree.members.keys()]).toEqual(['a"}', 'b']);
    expect(spanText(text, tree.members.get('a"}'))).toBe('["x\\\\", "}]" ]');
  });

  test('malformed JSON is an error with an offset', () => {
    expect(() => jsonSpans('{"a": [1, 2}')).toThrow(JsonSpanError);
    expect(() => jsonSpans('[1] x')).toThrow(/trailing/);
  });
});
