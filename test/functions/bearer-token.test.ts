/**
 * functions/shared/bearer-token.ts on its own: which Authorization values an
 * event carries (single- and multi-value maps, any case), and the one answer
 * for each header value: the token, MissingTokenError or
 * MalformedAuthorizationError (DESIGN.md §3, §7).
 */
import { MalformedAuthorizationError, MissingTokenError, rejectionDetail } from '../../functions/shared/errors';
import { extractBearerToken, headerValues } from '../../functions/shared/bearer-token';
import * as fc from 'fast-check';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln';

function answer(values: string[], maxBytes = 8192): string {
  try {
    return extractBearerToken(values, maxBytes);
  } catch (error) {
    if (error instanceof MissingTokenError) return 'missing';
    if (error instanceof MalformedAuthorizationError) return 'malformed';
    throw error;
  }
}

describe('headerValues', () => {
  it('finds the header in any case in the single-value map', () => {
    expect(headerValues('authorization', { AUTHORIZATION: 'a', Accept: 'x' })).toEqual(['a']);
    expect(headerValues('Authorization', { authorization: 'a' })).toEqual(['a']);
  });

  it('takes every value from the multi-value map, in every spelling of the name', () => {
    expect(headerValues('authorization', { Authorization: 'b' }, { Authorization: ['a', 'b'] })).toEqual(['a', 'b']);
    expect(headerValues('authorization', {}, { Authorization: ['a'], authorization: ['b'] })).toEqual(['a', 'b']);
  });

  it('the multi-value map wins: its values are not counted again from the single-value map', () => {
    expect(headerValues('authorization', { Authorization: 'a' }, { Authorization: ['a'] })).toEqual(['a']);
  });

  it('falls back to the single-value map when the multi-value map has no such header', () => {
    expect(headerValues('authorization', { Authorization: 'a' }, { Accept: ['x'] })).toEqual(['a']);
    expect(headerValues('authorization', { Authorization: 'a' }, { Authorization: undefined })).toEqual(['a']);
    expect(headerValues('authorization', { Authorization: 'a' }, null)).toEqual(['a']);
  });

  it('skips undefined values and missing maps', () => {
    // toStrictEqual: toEqual would let [undefined] pass as [].
    expect(headerValues('authorization', { Authorization: undefined })).toStrictEqual([]);
    expect(headerValues('authorization', null, undefined)).toEqual([]);
    expect(headerValues('authorization', undefined, {})).toEqual([]);
  });

  it('does not match other headers that contain the name', () => {
    expect(headerValues('authorization', { 'proxy-authorization': 'a', 'x-authorization': 'b' }, { 'authorization-x': ['c'] })).toEqual([]);
  });
});

describe('extractBearerToken', () => {
  it.each<[string, string[], string]>([
    ['no header', [], 'missing'],
    ['an empty header', [''], 'missing'],
    ['a header of spaces', ['   '], 'missing'],
    ['two headers', [`Bearer ${JWT}`, `Bearer ${JWT}`], 'malformed'],
    ['two headers, the second empty', [`Bearer ${JWT}`, ''], 'malformed'],
    ['Bearer', [`Bearer ${JWT}`], JWT],
    ['BEARER', [`BEARER ${JWT}`], JWT],
    ['several spaces', [`Bearer    ${JWT}`], JWT],
    ['leading and trailing space (the step-by-step path)', [`  Bearer ${JWT}  `], JWT],
    ['an empty signature part', ['Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.'], 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.'],
    ['a tab instead of a space', [`Bearer\t${JWT}`], 'malformed'],
    ['no space', [`Bearer${JWT}`], 'malformed'],
    ['another scheme', [`Token ${JWT}`], 'malformed'],
    ['a word before the scheme', [`Basic Bearer ${JWT}`], 'malformed'],
    ['a word before the scheme, with a leading space', [` x Bearer ${JWT}`], 'malformed'],
    ['a scheme that starts with bearer', [`Bearerx ${JWT}`], 'malformed'],
    ['the token alone', [JWT], 'malformed'],
    // one letter of the scheme changed, in each position (the one-scan path must not accept them)
    ['Xearer', [`Xearer ${JWT}`], 'malformed'],
    ['Bxarer', [`Bxarer ${JWT}`], 'malformed'],
    ['Bexrer', [`Bexrer ${JWT}`], 'malformed'],
    ['Beaxer', [`Beaxer ${JWT}`], 'malformed'],
    ['Bearxr', [`Bearxr ${JWT}`], 'malformed'],
    ['Bearex', [`Bearex ${JWT}`], 'malformed'],
    // extra dots whose every part is canonical base64url (empty or 'AA'): not three parts
    ['an empty first part after a dot', ['Bearer ..AA.AA'], 'malformed'],
    ['three dots in a row', ['Bearer AA...AA'], 'malformed'],
    ['two trailing dots', ['Bearer AA.AA..'], 'malformed'],
    ['two parts', ['Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0'], 'malformed'],
    ['four parts', [`Bearer ${JWT}.x`], 'malformed'],
    ['an empty header part', ['Bearer .eyJzdWIiOiJhIn0.c2ln'], 'malformed'],
    ['an empty payload part', ['Bearer eyJhbGciOiJSUzI1NiJ9..c2ln'], 'malformed'],
    ['a padded part', [`Bearer ${JWT}=`], 'malformed'],
    ['a + (base64, not base64url)', ['Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2+n'], 'malformed'],
    ['a non-canonical last character (leading space path)', [' Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2l'], 'malformed'],
  ])('%s: %s', (_what, values, expected) => {
    expect(answer(values)).toBe(expected);
  });

  it('a well-formed header of exactly maxBytes is accepted; one byte more is malformed', () => {
    const header = `Bearer ${JWT}`;
    expect(answer([header], header.length)).toBe(JWT);
    expect(answer([header], header.length - 1)).toBe('malformed');
  });

  it('a header taking the step-by-step path is accepted at exactly maxBytes too', () => {
    const header = ` Bearer ${JWT}`;
    expect(answer([header], header.length)).toBe(JWT);
    expect(answer([header], header.length - 1)).toBe('malformed');
  });

  it('the byte limit counts UTF-8 bytes: a non-ASCII header over the limit in bytes is malformed, not parsed', () => {
    const header = `Bearer ${JWT}é`;
    expect(answer([header], header.length)).toBe('malformed');
  });

  it('the scheme named in the refusal is cut to 20 characters', () => {
    expect(() => extractBearerToken([`${'X'.repeat(40)} ${JWT}`], 8192)).toThrow(`unsupported scheme ${'X'.repeat(20)}`);
    expect(() => extractBearerToken([`${'X'.repeat(40)} ${JWT}`], 8192)).not.toThrow('X'.repeat(21));
  });
});

describe('one spelling per token: the canonical base64url check', () => {
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const part = fc.array(fc.constantFrom(...ALPHABET.split('')), { maxLength: 11 }).map((cs) => cs.join(''));
  const roundTrips = (p: string): boolean => Buffer.from(p, 'base64url').toString('base64url') === p;

  it('accepts exactly the tokens whose every part decodes and re-encodes to itself', () => {
    fc.assert(
      fc.property(part.filter((p) => p.length > 0), part.filter((p) => p.length > 0), part, (a, b, c) => {
        const token = `${a}.${b}.${c}`;
        const accepted = ((): boolean => {
          try {
            return extractBearerToken([`Bearer ${token}`], 8192) === token;
          } catch (error) {
            if (error instanceof MalformedAuthorizationError) return false;
            throw error;
          }
        })();
        expect(accepted).toBe([a, b, c].every(roundTrips));
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['2 characters, low 4 bits set', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.AB'],
    ['2 characters, only the 4th-lowest bit set', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.AI'],
    ['3 characters, low 2 bits set', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.AAB'],
    ['3 characters, only the 2nd-lowest bit set', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.AAC'],
    ['1 character left over', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.AAAAA'],
    ['a non-canonical header part', 'eyJhbGciOiJSUzI1NiJ9x.eyJzdWIiOiJhIn0.AA'],
    ['a non-canonical payload part', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn1.AA'],
  ])('%s is refused', (_name, token) => {
    expect(() => extractBearerToken([`Bearer ${token}`], 8192)).toThrow(MalformedAuthorizationError);
    expect(() => extractBearerToken([`Bearer  ${token} `], 8192)).toThrow(MalformedAuthorizationError);
  });

  it.each(['AA', 'AAA', 'AAAA', 'AQ', 'AAE', ''])('signature %j (unused bits zero) is accepted', (sig) => {
    const token = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.${sig}`;
    expect(extractBearerToken([`Bearer ${token}`], 8192)).toBe(token);
  });
});

describe('which check refused the Authorization header: the logged detail', () => {
  // The message is what an operator reads beside the reason (errors.ts rejectionDetail), so each is pinned.
  const refusal = (values: string[], maxBytes = 8192): unknown => {
    try {
      extractBearerToken(values, maxBytes);
    } catch (error) {
      return error;
    }
    return undefined;
  };
  const JWS = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.AAAA';
  it.each<[string, string[], number, typeof MissingTokenError | typeof MalformedAuthorizationError, string]>([
    ['no header', [], 8192, MissingTokenError, 'no Authorization header'],
    ['an empty header', ['   '], 8192, MissingTokenError, 'empty Authorization header'],
    ['two headers', [`Bearer ${JWS}`, `Bearer ${JWS}`], 8192, MalformedAuthorizationError, 'more than one Authorization header'],
    ['too long', [`Bearer ${JWS}`], 20, MalformedAuthorizationError, 'Authorization header longer than 20 bytes'],
    ['no credentials', ['Bearer'], 8192, MalformedAuthorizationError, 'Authorization header is not "<scheme> <credentials>"'],
    ['another scheme', [`Basic ${JWS}`], 8192, MalformedAuthorizationError, 'unsupported scheme Basic'],
    ['not a compact JWS', ['Bearer a.b'], 8192, MalformedAuthorizationError, 'bearer credentials are not a compact JWT (base64url without padding)'],
    ['not canonical', ['Bearer  eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.AB'], 8192, MalformedAuthorizationError, 'bearer credentials are not canonical base64url'],
  ])('%s', (_name, values, maxBytes, type, detail) => {
    const error = refusal(values, maxBytes);
    expect(error).toBeInstanceOf(type);
    expect(rejectionDetail(error)).toEqual({ detail });
  });
});
