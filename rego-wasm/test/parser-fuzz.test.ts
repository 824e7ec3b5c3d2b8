/** Robustness: whatever the input, the parser returns a module or throws RegoError(s) — never crashes or hangs. */
import fc from 'fast-check';
import { RegoError, RegoErrors } from '../src/errors';
import { parseModule, parseQuery } from '../src/parse';

const PIECES = [
  'package', 'import', 'p', 'x', 'input', 'data', '_', 'if', 'contains', 'else', 'default', 'some', 'every', 'in',
  'not', 'with', 'as', ':=', '=', '==', '!=', '<', '+', '-', '*', '/', '%', '&', '|', '{', '}', '[', ']', '(', ')',
  ',', ';', '.', ':', '"s"', '`r`', '$"t{', '1', '0.5', '1e3', '-', '\n', ' ', '# c\n', 'true', 'null', '\\', '"\\u00', '!',
];

function expectRegoFailureOrSuccess(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof RegoError || e instanceof RegoErrors)) throw e;
    const errs = e instanceof RegoErrors ? e.errors : [e];
    for (const err of errs) {
      expect(err.code).toBe('rego_parse_error');
      expect(err.location?.row).toBeGreaterThanOrEqual(1);
      expect(err.location?.col).toBeGreaterThanOrEqual(1);
    }
  }
}

describe('parser: robustness on arbitrary input', () => {
  test('token soup after a package clause parses or fails with located rego_parse_errors', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }), (parts) => {
        expectRegoFailureOrSuccess(() => parseModule(`package fuzz\n${parts.join(' ')}`, 'fuzz.rego'));
        expectRegoFailureOrSuccess(() => parseQuery(parts.join('')));
      }),
      { numRuns: 1500 },
    );
  });

  test('arbitrary unicode text never crashes the parser', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (s) => {
        expectRegoFailureOrSuccess(() => parseModule(s, 'any.rego'));
      }),
      { numRuns: 500 },
    );
  });
});
