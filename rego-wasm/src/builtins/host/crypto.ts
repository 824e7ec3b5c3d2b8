/** crypto.* digest and HMAC builtins (hex output), on node:crypto. */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { str } from './operands';
import type { HostBuiltin } from './types';

function digest(builtin: string, alg: string): HostBuiltin {
  return (x) => createHash(alg).update(str(builtin, x, 1), 'utf8').digest('hex');
}

function hmac(builtin: string, alg: string): HostBuiltin {
  return (x, key) => {
    const message = str(builtin, x, 1);
    const k = str(builtin, key, 2);
    return createHmac(alg, Buffer.from(k, 'utf8')).update(message, 'utf8').digest('hex');
  };
}

/** Constant-time comparison (Go's hmac.Equal over the strings' bytes). */
const hmacEqual: HostBuiltin = (a, b) => {
  const x = Buffer.from(str('crypto.hmac.equal', a, 1), 'utf8');
  const y = Buffer.from(str('crypto.hmac.equal', b, 2), 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
};

export const cryptoBuiltins: Record<string, HostBuiltin> = {
  'crypto.md5': digest('crypto.md5', 'md5'),
  'crypto.sha1': digest('crypto.sha1', 'sha1'),
  'crypto.sha256': digest('crypto.sha256', 'sha256'),
  'crypto.hmac.md5': hmac('crypto.hmac.md5', 'md5'),
  'crypto.hmac.sha1': hmac('crypto.hmac.sha1', 'sha1'),
  'crypto.hmac.sha256': hmac('crypto.hmac.sha256', 'sha256'),
  'crypto.hmac.sha512': hmac('crypto.hmac.sha512', 'sha512'),
  'crypto.hmac.equal': hmacEqual,
};
