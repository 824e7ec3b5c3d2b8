/** units.parse and units.parse_bytes (OPA's parse_units.go / parse_bytes.go), computed exactly. */
import { BuiltinEvalError } from './errors';
import { str } from './operands';
import { floatString, mul, parseDecimal, trunc, type Rational } from './rational';
import { exactNumber, type InternalBuiltin } from './types';

const MAX_EXPONENT_DIGITS = 6;

/** Split "10.5KiB" into ["10.5", "KiB"] the way OPA's extractNumAndUnit does. */
export function splitNumAndUnit(builtin: string, s: string): [string, string] {
  const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
  let first = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (!(isDigit(c) || c === '.') && c !== 'e' && c !== 'E' && c !== '+' && c !== '-') {
      first = i;
      break;
    }
    if (c === 'e' || c === 'E') {
      const n = s[i + 1];
      if (i === s.length - 1 || (!isDigit(n) && n !== '+' && n !== '-')) {
        first = i;
        break;
      }
      if (n === '+' || n === '-') i++;
      let end = i + 1;
      while (isDigit(s[end])) end++;
      if (end - (i + 1) > MAX_EXPONENT_DIGITS) throw new BuiltinEvalError(builtin, 'exponent too large');
    }
  }
  if (first === -1) return [s, ''];
  return [s.slice(0, first), s.slice(first)];
}

const pow = (base: bigint, e: number): Rational => ({ num: base ** BigInt(e), den: 1n });

const BYTE_UNITS: Readonly<Record<string, Rational>> = {
  '': pow(1n, 0),
  k: pow(1000n, 1), kb: pow(1000n, 1), ki: pow(1024n, 1), kib: pow(1024n, 1),
  m: pow(1000n, 2), mb: pow(1000n, 2), mi: pow(1024n, 2), mib: pow(1024n, 2),
  g: pow(1000n, 3), gb: pow(1000n, 3), gi: pow(1024n, 3), gib: pow(1024n, 3),
  t: pow(1000n, 4), tb: pow(1000n, 4), ti: pow(1024n, 4), tib: pow(1024n, 4),
  p: pow(1000n, 5), pb: pow(1000n, 5), pi: pow(1024n, 5), pib: pow(1024n, 5),
  e: pow(1000n, 6), eb: pow(1000n, 6), ei: pow(1024n, 6), eib: pow(1024n, 6),
};

const SI_UNITS: Readonly<Record<string, Rational>> = {
  '': pow(1n, 0),
  m: { num: 1n, den: 1000n },
  k: pow(1000n, 1), K: pow(1000n, 1), ki: pow(1024n, 1), Ki: pow(1024n, 1),
  M: pow(1000n, 2), mi: pow(1024n, 2), Mi: pow(1024n, 2),
  g: pow(1000n, 3), G: pow(1000n, 3), gi: pow(1024n, 3), Gi: pow(1024n, 3),
  t: pow(1000n, 4), T: pow(1000n, 4), ti: pow(1024n, 4), Ti: pow(1024n, 4),
  p: pow(1000n, 5), P: pow(1000n, 5), pi: pow(1024n, 5), Pi: pow(1024n, 5),
  e: pow(1000n, 6), E: pow(1000n, 6), ei: pow(1024n, 6), Ei: pow(1024n, 6),
};

function finite<T>(builtin: string, n: number, value: T): T {
  if (!Number.isFinite(n)) throw new BuiltinEvalError(builtin, 'amount out of range');
  return value;
}

/** Go's decimal text without trailing fractional zeros ("1126.4000000000" → "1126.4"). */
function trimDecimal(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

const parseBytes: InternalBuiltin = (value) => {
  const name = 'units.parse_bytes';
  const s = str(name, value, 1).toLowerCase().replaceAll('"', '');
  if (s.includes(' ')) throw new BuiltinEvalError(name, 'spaces not allowed in resource strings');
  const [num, unit] = splitNumAndUnit(name, s);
  if (num === '') throw new BuiltinEvalError(name, 'no byte amount provided');
  const factor = BYTE_UNITS[unit];
  if (!factor) throw new BuiltinEvalError(name, `byte unit ${unit} not recognized`);
  const amount = parseDecimal(num);
  if (!amount) throw new BuiltinEvalError(name, 'could not parse byte amount to a number');
  const total = trunc(mul(amount, factor));
  return finite(name, Number(total), exactNumber(total));
};

const parse: InternalBuiltin = (value) => {
  const name = 'units.parse';
  const s = str(name, value, 1).replaceAll('"', '');
  if (s.includes(' ')) throw new BuiltinEvalError(name, 'spaces not allowed in resource strings');
  const [num, rawUnit] = splitNumAndUnit(name, s);
  if (num === '') throw new BuiltinEvalError(name, 'no amount provided');
  const unit = rawUnit.length > 1 ? rawUnit[0] + rawUnit.slice(1).toLowerCase() : rawUnit;
  const factor = SI_UNITS[unit];
  if (!factor) throw new BuiltinEvalError(name, `unit ${unit} not recognized`);
  const amount = parseDecimal(num);
  if (!amount) throw new BuiltinEvalError(name, 'could not parse amount to a number');
  const r = mul(amount, factor);
  const text = r.den === 1n ? r.num.toString() : trimDecimal(floatString(r, 10));
  return finite(name, Number(text), exactNumber(text === '-0' ? '0' : text));
};

export const unitsBuiltins: Record<string, InternalBuiltin> = {
  'units.parse': parse,
  'units.parse_bytes': parseBytes,
};
