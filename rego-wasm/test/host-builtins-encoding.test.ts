/**
 * Encoding, digest and JWT host builtins. Fixed vectors come from OPA's
 * compliance cases (base64*, hexbuiltins, urlbuiltins, crypto*, jwt*);
 * asymmetric signatures are also checked with keys generated here.
 */
import { createHmac, generateKeyPairSync, sign, constants, type KeyObject } from 'node:crypto';
import { hostBuiltins, type JsonValue } from '../src/builtins/host';

function call(name: string, ...args: JsonValue[]): JsonValue | undefined {
  const fn = hostBuiltins[name];
  if (!fn) throw new Error(`no host builtin ${name}`);
  return fn(...args);
}

describe('base64 / base64url / hex (Go encoding semantics)', () => {
  test.each<[string, string, JsonValue | undefined]>([
    ['base64.encode', 'hello', 'aGVsbG8='],
    ['base64.decode', 'aGVsbG8=', 'hello'],
    ['base64.decode', 'dGhlcmU=', 'there'],
    ['base64.encode', 'subjects?_d', 'c3ViamVjdHM/X2Q='],
    ['base64.decode', 'c3ViamVjdHM/X2Q=', 'subjects?_d'],
    ['base64.decode', 'aGVsbG8', undefined],
    ['base64.is_valid', 'aGVsbG8=', true],
    ['base64.is_valid', "{'not':'base64'}", false],
    ['base64url.encode', 'hello', 'aGVsbG8='],
    ['base64url.encode', 'there', 'dGhlcmU='],
    ['base64url.decode', 'aGVsbG8=', 'hello'],
    ['base64url.decode', 'aGVsbG8', 'hello'],
    ['base64url.decode', 'aGVsbG8x0', undefined],
    ['base64url.encode_no_pad', 'hello', 'aGVsbG8'],
    ['base64url.encode_no_pad', 'there', 'dGhlcmU'],
    ['hex.encode', 'lorem ipsum', '6c6f72656d20697073756d'],
    ['hex.decode', '6c6f72656d20697073756d', 'lorem ipsum'],
    ['hex.decode', 'fghijkl', undefined],
    ['hex.decode', 'abc', undefined],
  ])('%s(%j) is %j', (fn, arg, want) => expect(call(fn, arg)).toEqual(want));

  test('base64 round-trips non-ASCII text as UTF-8', () => {
    expect(call('base64.decode', call('base64.encode', 'åäö🙂') ?? null)).toBe('åäö🙂');
  });
});

describe('urlquery (Go net/url semantics)', () => {
  test.each<[string, JsonValue, JsonValue | undefined]>([
    ['urlquery.encode', 'a=b+1', 'a%3Db%2B1'],
    ['urlquery.encode', '', ''],
    ['urlquery.encode', "a b!'()*~", "a+b%21%27%28%29%2A~"],
    ['urlquery.decode', 'a%3Db%2B1', 'a=b+1'],
    ['urlquery.decode', 'a+b', 'a b'],
    ['urlquery.decode', '%zz', undefined],
    ['urlquery.encode_object', {}, ''],
    ['urlquery.encode_object', { c: 'd', a: 'b' }, 'a=b&c=d'],
    ['urlquery.encode_object', { a: 'c=b+1' }, 'a=c%3Db%2B1'],
    ['urlquery.encode_object', { a: ['b+1', 'c+2'] }, 'a=b%2B1&a=c%2B2'],
    ['urlquery.encode_object', { a: 1 }, undefined],
    ['urlquery.decode_object', 'a=value_a1&b=value_b&a=value_a2', { a: ['value_a1', 'value_a2'], b: ['value_b'] }],
    ['urlquery.decode_object', 'a=value_a1&b', { a: ['value_a1'], b: [''] }],
    ['urlquery.decode_object', '', {}],
    ['urlquery.decode_object', 'a=1;b=2', undefined],
  ])('%s(%j) is %j', (fn, arg, want) => expect(call(fn, arg)).toEqual(want));
});

describe('crypto digests and HMACs (hex)', () => {
  test.each<[string, JsonValue[], JsonValue]>([
    ['crypto.md5', ['lorem ipsum'], '80a751fde577028640c419000e33eba6'],
    ['crypto.sha1', ['lorem ipsum'], 'bfb7759a67daeb65410490b4d98bb9da7d1ea2ce'],
    ['crypto.sha256', ['lorem ipsum'], '5e2bf57d3f40c4b6df69daf1936cb766f832374b4fc0259a7cbff06e2f70f269'],
    ['crypto.hmac.md5', ['foo', 'bar'], '31b6db9e5eb4addb42f1a6ca07367adc'],
    ['crypto.hmac.sha1', ['foo', 'bar'], '85d155c55ed286a300bd1cf124de08d87e914f3a'],
    ['crypto.hmac.sha256', ['foo', 'bar'], '147933218aaabc0b8b10a2b3a5c34684c8d94341bcf10a4736dc7270f7741851'],
    [
      'crypto.hmac.sha512',
      ['foo', 'bar'],
      '24257d7210582a65c731ec55159c8184cc24c02489453e58587f71f44c23a2d61b4b72154a89d17b2d49448a8452ea066f4fc56a2bcead45c088572ffccdb3d8',
    ],
    ['crypto.hmac.md5', ['åäöçß🥲♙Ω', '秘密の'], '20a8743c2157ac60b7e8b79c83651b8d'],
    ['crypto.hmac.sha256', ['åäöçß🥲♙Ω', '秘密の'], 'eb90daeb76d4b2571fbdaf94bbb240809faa8fed93ec0c260dd38c3fdf8d963a'],
    ['crypto.hmac.equal', ['31b6db9e5eb4addb42f1a6ca07367adc', '31b6db9e5eb4addb42f1a6ca07367adc'], true],
    ['crypto.hmac.equal', ['31b6db9e5eb4addb42f1a6ca07367adc', '31b6db9e5eb4addb'], false],
  ])('%s(%j) is %j', (fn, args, want) => expect(call(fn, ...args)).toBe(want));
});

// ---------------------------------------------------------------- JWT helpers

const b64u = (s: string | Buffer): string => Buffer.from(s).toString('base64url');
function jwt(header: object, payload: object, signer: (input: Buffer) => Buffer): string {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  return `${input}.${b64u(signer(Buffer.from(input)))}`;
}
const hs256 = (secret: string) => (input: Buffer) => createHmac('sha256', secret).update(input).digest();
const pem = (k: KeyObject): string => k.export({ type: 'spki', format: 'pem' }).toString();

describe('io.jwt.decode', () => {
  const simple =
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwIiwiaXNzIjoib3BhIn0.XmVoLoHI3pxMtMO_WRONMSJzGUDP9pDjy8Jp0_tdRXY';
  test('returns header, payload and the hex signature', () => {
    expect(call('io.jwt.decode', simple)).toEqual([
      { alg: 'HS256', typ: 'JWT' },
      { iss: 'opa', sub: '0' },
      '5e65682e81c8de9c4cb4c3bf59138d3122731940cff690e3cbc269d3fb5d4576',
    ]);
  });
  test('follows nested tokens (cty: JWT) to the innermost one', () => {
    const nested =
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImN0eSI6IkpXVCJ9.ImV5SmhiR2NpT2lKSVV6STFOaUlzSW5SNWNDSTZJa3BYVkNKOS5leUp6ZFdJaU9pSXdJaXdpYVhOeklqb2liM0JoSW4wLlhtVm9Mb0hJM3B4TXRNT19XUk9OTVNKekdVRFA5cERqeThKcDBfdGRSWFki.8W0qx4mLxslmZl7wEMUWBxH7tST3XsEuWXxesXqFnRI';
    expect(call('io.jwt.decode', nested)).toEqual(call('io.jwt.decode', simple));
  });
  test.each([
    ['a JWE (enc header) is undefined', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImVuYyI6ImJsYWgifQ.eyJuZXciOiJJIGFtIGEgdXNlciBjcmVhdGVkIGZpZWxkIiwiaXNzIjoib3BhIn0.McGUb1e-UviZKy6UyQErNNQzEUgeV25Buwk7OHOa8U8'],
    ['no periods is undefined', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9eyJzdWIiOiIwIiwiaXNzIjoib3BhIn0'],
    ['two sections is undefined', 'eyJhbGciOiJIUzI1NiJ9.e30'],
    ['bad header encoding is undefined', 'eyJhbGciOiJIU^%zI1NiI+sInR5cCI6IkpXVCJ9.eyJzdWIiOiIwIiwiaXNzIjoib3BhIn0.XmVo'],
  ])('%s', (_n, token) => expect(call('io.jwt.decode', token)).toBeUndefined());
});

describe('io.jwt.verify_*', () => {
  const hsToken =
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyIjoiYWxpY2UiLCJhenAiOiJhbGljZSIsInN1Ym9yZGluYXRlcyI6W10sImhyIjpmYWxzZX0.rz3jTY033z-NrKfwrK89_dcLF7TN4gwCMj-fVBDyLoM';
  test('verify_hs256 accepts the right secret only', () => {
    expect(call('io.jwt.verify_hs256', hsToken, 'secret')).toBe(true);
    expect(call('io.jwt.verify_hs256', hsToken, 'Secret')).toBe(false);
    expect(call('io.jwt.verify_hs256', 'a.b', 'secret')).toBeUndefined();
  });

  test('verify_eddsa with a PEM public key (OPA vector)', () => {
    const token =
      'eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRydWUsImlhdCI6MTUxNjIzOTAyMn0.JkKWCY39IdWEQttmdqR7VdsvT-_QxheW_eb0S5wr_j83ltux_JDUIXs7a3Dtn3xuqzuhetiuJrWIvy5TzimeCg';
    const key = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAwmK6SSAu2E9V7uynkCKEaj5nZJyTvNG4x0KohsRzLpg=\n-----END PUBLIC KEY-----';
    expect(call('io.jwt.verify_eddsa', token, key)).toBe(true);
    expect(call('io.jwt.verify_eddsa', token.replace(/.$/, 'A'), key)).toBe(false);
  });

  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  test('verify_rs256 with PEM, JWK and JWKS; wrong key and tampering are false', () => {
    const token = jwt({ alg: 'RS256' }, { sub: 'alice' }, (i) => sign('sha256', i, rsa.privateKey));
    const jwk = JSON.stringify(rsa.publicKey.export({ format: 'jwk' }));
    expect(call('io.jwt.verify_rs256', token, pem(rsa.publicKey))).toBe(true);
    expect(call('io.jwt.verify_rs256', token, jwk)).toBe(true);
    expect(call('io.jwt.verify_rs256', token, JSON.stringify({ keys: [other.publicKey.export({ format: 'jwk' }), JSON.parse(jwk)] }))).toBe(true);
    expect(call('io.jwt.verify_rs256', token, pem(other.publicKey))).toBe(false);
    const [h, , sig] = token.split('.');
    expect(call('io.jwt.verify_rs256', `${h}.${b64u('{"sub":"mallory"}')}.${sig}`, pem(rsa.publicKey))).toBe(false);
    expect(call('io.jwt.verify_ps256', token, pem(rsa.publicKey))).toBe(false);
    expect(call('io.jwt.verify_rs256', token, 'not a key')).toBeUndefined();
    expect(call('io.jwt.verify_rs256', token, `${pem(rsa.publicKey)}extra`)).toBeUndefined();
  });

  test('verify_ps256 and verify_es256 check PSS and P-1363 ECDSA signatures', () => {
    const ps = jwt({ alg: 'PS256' }, { a: 1 }, (i) =>
      sign('sha256', i, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
    );
    expect(call('io.jwt.verify_ps256', ps, pem(rsa.publicKey))).toBe(true);
    const es = jwt({ alg: 'ES256' }, { a: 1 }, (i) => sign('sha256', i, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }));
    expect(call('io.jwt.verify_es256', es, pem(ec.publicKey))).toBe(true);
    expect(call('io.jwt.verify_es256', es, JSON.stringify(ec.publicKey.export({ format: 'jwk' })))).toBe(true);
    expect(call('io.jwt.verify_es256', es, pem(rsa.publicKey))).toBe(false);
  });
});

describe('io.jwt.decode_verify', () => {
  const now = 1_700_000_000;
  const t = (payload: object, header: object = { alg: 'HS256', typ: 'JWT' }, secret = 'secret'): string => jwt(header, payload, hs256(secret));
  const at = (sec: number) => sec * 1e9;

  test('OPA vector: float exp is compared in seconds', () => {
    const token = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjMwMDAuMiwiaXNzIjoieHh4In0.XUen7GtDmICV3O1ngsoO-tQrjrXtOgJI06oGW0nQSIM';
    expect(call('io.jwt.decode_verify', token, { secret: 'secret', time: 2000000000000.1 })).toEqual([
      true,
      { alg: 'HS256', typ: 'JWT' },
      { exp: 3000.2, iss: 'xxx' },
    ]);
    expect(call('io.jwt.decode_verify', token, { secret: 'secret', time: 4000000000000.1 })).toEqual([false, {}, {}]);
  });

  test.each<[string, object, object, boolean]>([
    ['valid token within exp/nbf', { iss: 'acme', exp: now + 60, nbf: now - 60 }, { time: at(now) }, true],
    ['expired token', { exp: now - 1 }, { time: at(now) }, false],
    ['exp equal to now is expired', { exp: now }, { time: at(now) }, false],
    ['not yet valid (nbf)', { nbf: now + 1 }, { time: at(now) }, false],
    ['issuer mismatch', { iss: 'evil' }, { iss: 'acme', time: at(now) }, false],
    ['issuer required but missing', {}, { iss: 'acme', time: at(now) }, false],
    ['audience in list', { aud: ['x', 'api'] }, { aud: 'api', time: at(now) }, true],
    ['token audience without aud constraint', { aud: 'api' }, { time: at(now) }, false],
    ['aud constraint but no token audience', {}, { aud: 'api', time: at(now) }, false],
    ['alg constraint mismatch', {}, { alg: 'HS512', time: at(now) }, false],
  ])('%s', (_n, payload, constraints, valid) => {
    const out = call('io.jwt.decode_verify', t(payload), { secret: 'secret', ...constraints });
    expect(Array.isArray(out) && out[0]).toBe(valid);
    if (!valid) expect(out).toEqual([false, {}, {}]);
  });

  test('wrong secret and unknown critical headers are unverified', () => {
    expect(call('io.jwt.decode_verify', t({}, undefined, 'other'), { secret: 'secret' })).toEqual([false, {}, {}]);
    expect(call('io.jwt.decode_verify', t({}, { alg: 'HS256', crit: ['junk'], junk: 1 }), { secret: 'secret' })).toEqual([false, {}, {}]);
  });

  test('constraint errors are undefined: no key, two keys, unknown constraint, bad exp type', () => {
    expect(call('io.jwt.decode_verify', t({}), {})).toBeUndefined();
    expect(call('io.jwt.decode_verify', t({}), { secret: 's', cert: '{"kty":"oct","k":"cw"}' })).toBeUndefined();
    expect(call('io.jwt.decode_verify', t({}), { secret: 'secret', bogus: 1 })).toBeUndefined();
    expect(call('io.jwt.decode_verify', t({ exp: 'soon' }), { secret: 'secret' })).toBeUndefined();
  });

  test('without a time constraint the current time is used', () => {
    const nowSec = Math.floor(Date.now() / 1000);
    expect((call('io.jwt.decode_verify', t({ exp: nowSec + 600 }), { secret: 'secret' }) as JsonValue[])[0]).toBe(true);
    expect((call('io.jwt.decode_verify', t({ exp: nowSec - 600 }), { secret: 'secret' }) as JsonValue[])[0]).toBe(false);
  });

  test('asymmetric verification picks the JWKS key by kid', () => {
    const a = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const b = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const token = jwt({ alg: 'ES256', kid: 'b' }, { sub: 'x' }, (i) => sign('sha256', i, { key: b.privateKey, dsaEncoding: 'ieee-p1363' }));
    const jwks = JSON.stringify({
      keys: [
        { ...a.publicKey.export({ format: 'jwk' }), kid: 'a', alg: 'ES256' },
        { ...b.publicKey.export({ format: 'jwk' }), kid: 'b', alg: 'ES256' },
      ],
    });
    expect(call('io.jwt.decode_verify', token, { cert: jwks })).toEqual([true, { alg: 'ES256', kid: 'b' }, { sub: 'x' }]);
  });
});

describe('io.jwt.encode_sign / encode_sign_raw', () => {
  const octKey = { kty: 'oct', k: 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow' };
  test('RFC 7515 A.1 (HS256) with sorted-key JSON like Go', () => {
    expect(
      call(
        'io.jwt.encode_sign',
        { alg: 'HS256', typ: 'JWT' },
        { aud: ['bob', 'saul'], exp: 1300819380, 'http://example.com/is_root': true, iss: 'joe', privateParams: { private_one: 'one', private_two: 'two' } },
        octKey,
      ),
    ).toBe(
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOlsiYm9iIiwic2F1bCJdLCJleHAiOjEzMDA4MTkzODAsImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlLCJpc3MiOiJqb2UiLCJwcml2YXRlUGFyYW1zIjp7InByaXZhdGVfb25lIjoib25lIiwicHJpdmF0ZV90d28iOiJ0d28ifX0.-Or2eol8bzly-Ztb0v7_7UkcKBkN_aNNpK33HK0MeOY',
    );
  });

  test('raw form signs the exact header and payload bytes (RFC 7515 A.1)', () => {
    expect(
      call(
        'io.jwt.encode_sign_raw',
        '{"typ":"JWT",\r\n "alg":"HS256"}',
        '{"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}',
        JSON.stringify(octKey),
      ),
    ).toBe(
      'eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
    );
  });

  test('EdDSA with an OKP JWK is deterministic (OPA vector)', () => {
    expect(
      call(
        'io.jwt.encode_sign_raw',
        '{"alg":"EdDSA","typ":"JWT"}',
        '{"iss":"joe","exp":1300819380,"http://example.com/is_root":true}',
        '{"kty":"OKP","alg":"EdDSA","crv":"Ed25519","x":"wEZFfoAj1rFKTLOOmjJjVZlCHwksuvMb2I5y_hg70E8","d":"9XI34uQzYUJfWhDZf_0nYsLMBRVu8a6dFsy60P8uugk"}',
      ),
    ).toBe(
      'eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJqb2UiLCJleHAiOjEzMDA4MTkzODAsImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.jS1so-rsTaC8DdA8_ZnFXYbi9xOrMVXOviMFrahQ7ez0UKKzjU-2vxrM0ON-Vu3GXKhtBkkO3SUtNMoeYw3zDQ',
    );
  });

  test('ES256 and PS256 tokens verify with the matching public key', () => {
    for (const [alg, kp] of [
      ['ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' })],
      ['PS256', generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ] as const) {
      const token = call('io.jwt.encode_sign', { alg }, { sub: 'x' }, kp.privateKey.export({ format: 'jwk' }) as JsonValue);
      expect(typeof token).toBe('string');
      expect(call(`io.jwt.verify_${alg.toLowerCase()}`, token ?? null, pem(kp.publicKey))).toBe(true);
    }
  });

  test.each<[string, string, string]>([
    ['header is not JSON', '{"typ:"JWT","alg":"HS256"}', '{}'],
    ['unknown algorithm', '{"alg":"dummy"}', '{}'],
    ['no alg header', '{}', '{}'],
    ['typ JWT needs a JSON payload', '{"typ":"JWT","alg":"HS256"}', 'e'],
    ['missing typ needs a JSON payload', '{"alg":"HS256"}', ''],
  ])('%s is undefined', (_n, header, payload) =>
    expect(call('io.jwt.encode_sign_raw', header, payload, JSON.stringify(octKey))).toBeUndefined(),
  );
});
