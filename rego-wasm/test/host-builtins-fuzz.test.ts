/**
 * Hostile-input safety: every host builtin, fed random JSON arguments, returns
 * a JSON value or undefined, or refuses with its own HostBuiltinError (which
 * the non-strict table turns into undefined); it never crashes with any
 * other exception, never returns something the SDK cannot serialise, and
 * finishes quickly. The strict table is fuzzed: the non-strict one maps
 * every exception to undefined, so a crash would pass unseen there.
 */
import fc from 'fast-check';
import { HostBuiltinError, hostBuiltins, strictHostBuiltins, type JsonValue } from '../src/builtins/host';

const scalar = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', '.', '*', '**', '[', '{a,b}', '10.0.0.0/8', '::1', '1.2.3.4', '2006-01-02', '1h', 'a.b.c', '-', '/', '$1', '{{.x}}', '1e999999', '99999999999999999999'),
);
const json: fc.Arbitrary<JsonValue> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 5 }), tie('value'), { maxKeys: 4 })),
})).value as fc.Arbitrary<JsonValue>;

const names = Object.keys(strictHostBuiltins).sort();

test('the strict and non-strict tables hold the same builtins', () => {
  expect(Object.keys(hostBuiltins).sort()).toEqual(names);
});

test.each(names)('%s survives random arguments', (name) => {
  const fn = strictHostBuiltins[name];
  const arity = Math.max(1, strictHostBuiltins[name]?.length ?? 1);
  if (!fn) throw new Error(name);
  const started = Date.now();
  fc.assert(
    fc.property(fc.array(json, { minLength: arity, maxLength: arity }), (args) => {
      const t = Date.now();
      let out: JsonValue | undefined;
      try {
        out = fn(...args);
      } catch (error) {
        // A builtin's own refusal (OPA's builtin error) is an answer; anything else is a crash.
        if (!(error instanceof HostBuiltinError)) throw error;
        out = undefined;
      }
      expect(Date.now() - t).toBeLessThan(1000);
      if (out !== undefined) expect(() => JSON.parse(JSON.stringify(out))).not.toThrow();
    }),
    { numRuns: 60, seed: 42 },
  );
  expect(Date.now() - started).toBeLessThan(5000);
});
