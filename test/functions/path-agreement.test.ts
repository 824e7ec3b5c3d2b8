/**
 * Property: the path the backend receives (re-encoded from the segments the
 * policy saw) parses back to exactly the same segments, and no accepted path
 * ever yields a segment that could change the path's meaning.
 */
import fc from 'fast-check';
import { encodePath } from '../../functions/claims-proxy/claims-proxy';
import { RequestRejectedError } from '../../functions/shared/errors';
import { pathSegments } from '../../functions/shared/request-path';

const segment = fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' });

it('backend path and policy path agree for any accepted path', () => {
  fc.assert(
    fc.property(fc.array(segment, { maxLength: 8 }), (segments) => {
      let parsed: string[];
      try {
        parsed = pathSegments(`/${segments.map(encodeURIComponent).join('/')}`);
      } catch (error) {
        expect(error).toBeInstanceOf(RequestRejectedError);
        return;
      }
      expect(pathSegments(encodePath(parsed))).toEqual(parsed);
    }),
    { numRuns: 500 },
  );
});

it('no accepted raw path yields a dot segment, a slash, a backslash or a control character', () => {
  const raw = fc.array(fc.constantFrom('a', '.', '%2e', '%2E', '%2f', '%5c', '%25', '%00', '/', '\\', '%', '2e', 'x%20y'), { maxLength: 10 }).map((parts) => `/${parts.join('')}`);
  fc.assert(
    fc.property(raw, (p) => {
      let parsed: string[];
      try {
        parsed = pathSegments(p);
      } catch (error) {
        expect(error).toBeInstanceOf(RequestRejectedError);
        return;
      }
      for (const s of parsed) {
        expect(s === '.' || s === '..').toBe(false);
        expect(/[/\\\u0000-\u001f]/.test(s)).toBe(false);
      }
    }),
    { numRuns: 2000 },
  );
});
