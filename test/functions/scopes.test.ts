/** input.token.scopes (DESIGN.md §3): Okta's `scp` array and the RFC 8693 `scope` string, one sorted de-duplicated array. */
import { scopesOf } from '../../functions/shared/scopes';

describe('scopesOf', () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    ['scp array', { scp: ['b', 'a'] }, ['a', 'b']],
    ['scope string', { scope: 'b a' }, ['a', 'b']],
    ['scp as a space-separated string', { scp: 'b a' }, ['a', 'b']],
    ['both, merged without duplicates', { scp: ['a', 'c'], scope: 'b a' }, ['a', 'b', 'c']],
    ['empty strings dropped from scp', { scp: ['', 'a', ''] }, ['a']],
    ['repeated and edge spaces dropped from scope', { scope: ' a  b ' }, ['a', 'b']],
    ['repeated and edge spaces dropped from a scp string', { scp: ' a  b ' }, ['a', 'b']],
    ['non-strings in scp ignored', { scp: ['a', 7, null, { x: 1 }, ['b']] }, ['a']],
    ['scp of another type ignored', { scp: 7, scope: 'a' }, ['a']],
    ['scope that is not a string ignored', { scope: ['a'] }, []],
    ['neither', {}, []],
  ])('%s', (_what, payload, scopes) => {
    expect(scopesOf(payload)).toEqual(scopes);
  });
});
