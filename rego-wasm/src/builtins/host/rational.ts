/** Exact decimal arithmetic for the builtins that OPA computes with big.Rat / big.Float. */

export interface Rational {
  num: bigint;
  den: bigint; // > 0
}

/** Largest |exponent| accepted in scientific notation (beyond it no finite double results). */
const MAX_EXPONENT = 400;

/** Parse "12", "-1.5", ".5", "3.2E2" exactly (Go's big.Rat SetString for decimals). */
export function parseDecimal(s: string): Rational | undefined {
  const m = /^([+-]?)(\d+\.?\d*|\.\d+)(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!m) return undefined;
  const [, sign, mant = '', expText] = m;
  const dot = mant.indexOf('.');
  const digits = mant.replace('.', '');
  let exp = (expText ? Number(expText) : 0) - (dot < 0 ? 0 : mant.length - dot - 1);
  if (Math.abs(exp) > MAX_EXPONENT + digits.length) return undefined;
  let num = BigInt(digits || '0');
  if (sign === '-') num = -num;
  let den = 1n;
  if (exp >= 0) num *= 10n ** BigInt(exp);
  else den = 10n ** BigInt(-exp);
  exp = 0;
  return reduce({ num, den });
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b;
  while (y) [x, y] = [y, x % y];
  return x || 1n;
}

export function reduce(r: Rational): Rational {
  const g = gcd(r.num, r.den);
  return { num: r.num / g, den: r.den / g };
}

export function mul(a: Rational, b: Rational): Rational {
  return reduce({ num: a.num * b.num, den: a.den * b.den });
}

/** Truncate toward zero (big.Float.Int). */
export function trunc(r: Rational): bigint {
  return r.num / r.den;
}

/** Go's Rat.FloatString(digits): decimal rounded half away from zero. */
export function floatString(r: Rational, digits: number): string {
  const neg = r.num < 0n;
  const n = neg ? -r.num : r.num;
  const scale = 10n ** BigInt(digits);
  let q = (n * scale) / r.den;
  const rem = (n * scale) % r.den;
  if (rem * 2n >= r.den) q += 1n;
  const s = q.toString().padStart(digits + 1, '0');
  const out = `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}`;
  return neg ? `-${out}` : out;
}
