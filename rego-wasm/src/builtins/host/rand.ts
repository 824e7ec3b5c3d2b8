/** rand.intn: a random integer in [0, n), fixed per (str, n) within one evaluation (like OPA). */
import { randomInt } from 'node:crypto';
import { evaluationCache } from './evaluation';
import { int, str } from './operands';
import type { HostBuiltin } from './types';

const intn: HostBuiltin = (s, n) => {
  const key = str('rand.intn', s, 1);
  const limit = Math.abs(int('rand.intn', n, 2));
  if (limit === 0) return 0;
  const bound = Math.min(limit, 2 ** 48 - 1);
  return evaluationCache('rand.intn', `${limit}\u0000${key}`, () => randomInt(bound));
};

export const randBuiltins: Record<string, HostBuiltin> = { 'rand.intn': intn };
