/**
 * Hostile-input safety: every host builtin, fed random JSON arguments, returns
 * a JSON value or undefined (never throws into the SDK, never returns
 * something the SDK cannot serialise) and finishes quickly.
 */
import fc from 'fast-check';
import { hostBuiltins, strictHostBuiltins, type JsonValue } from '../src/builtins/host';

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

const names = Object.keys(hostBuiltins).sort();

test.each(names)('%s survives random arguments', (name) => {
  const fn = hostBuiltins[name];
  const arity = Math.max(1, strictHostBuiltins[name]?.length ?? 1);
  if (!fn) throw new Error(name);
  const started = Date.now();
  fc.assert(
    fc.property(fc.array(json, { minLength: arity, maxLength: arity }), (args) => {
      const t = Date.now();
      const out = fn(...args);
      expect(Date.now() - t).toBeLessThan(1000);
      if (out !== undefined) expect(() => JSON.parse(JSON.stringify(out))).not.toThrow();
    }),
    { numRuns: 60, seed: 42 },
  );
  expect(Date.now() - started).toBeLessThan(5000);
});
