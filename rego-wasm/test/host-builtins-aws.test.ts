/**
 * providers.aws.sign_req: OPA's SigV4 variant. Signatures are OPA's own
 * expectations from its conformance suite (providers-aws); the rest checks
 * which headers are signed and OPA's error messages.
 */
import { hostBuiltins, strictHostBuiltins, type JsonValue } from '../src/builtins/host';

type Obj = Record<string, JsonValue>;
const sign = (req: JsonValue, config: JsonValue, ns: JsonValue = 1451311705000000000): Obj | undefined =>
  hostBuiltins['providers.aws.sign_req'](req, config, ns) as Obj | undefined;

const config = { aws_access_key: 'MYAWSACCESSKEYGOESHERE', aws_secret_access_key: 'MYAWSSECRETACCESSKEYGOESHERE', aws_service: 's3', aws_region: 'us-east-1' };
const EMPTY_SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const auth = (signed: string, sig: string): string =>
  `AWS4-HMAC-SHA256 Credential=MYAWSACCESSKEYGOESHERE/20151228/us-east-1/s3/aws4_request,SignedHeaders=${signed},Signature=${sig}`;

describe('providers.aws.sign_req (OPA vectors)', () => {
  test('no body: lower-case method and empty path are signed as given', () => {
    expect(sign({ method: 'get', url: 'http://example.com' }, config)).toEqual({
      method: 'get',
      url: 'http://example.com',
      headers: {
        Authorization: auth('host;x-amz-content-sha256;x-amz-date', '0047a7016c81e5c7f29cd522f97e911e04fc472fced0aee7916cbc287ad6c8e3'),
        host: 'example.com',
        'x-amz-content-sha256': EMPTY_SHA,
        'x-amz-date': '20151228T140825Z',
      },
    });
  });

  test('request headers are signed and kept', () => {
    const r = sign({ method: 'get', url: 'http://example.com', headers: { foo: 'bar' } }, config);
    expect((r?.headers as Obj).Authorization).toBe(auth('foo;host;x-amz-content-sha256;x-amz-date', '8f1dc7c9b9978356a0d0989fd26a95307f4f8a4aa264d8220647b7097d839952'));
    expect((r?.headers as Obj).foo).toBe('bar');
  });

  test('session token is sent and signed', () => {
    const r = sign({ method: 'get', url: 'http://example.com' }, { ...config, aws_session_token: 'MYAWSSECURITYTOKENGOESHERE' });
    expect((r?.headers as Obj).Authorization).toBe(
      auth('host;x-amz-content-sha256;x-amz-date;x-amz-security-token', '23c31bda8a74630c0a94f6b82a3511e7e74728df98e6f54ed0840488dbbdc8d1'),
    );
    expect((r?.headers as Obj)['x-amz-security-token']).toBe('MYAWSSECURITYTOKENGOESHERE');
  });

  test('raw_body wins over body; its SHA-256 is signed', () => {
    const raw = '{"example": {1, 2, 3, 4}}';
    for (const req of [{ method: 'get', url: 'http://example.com', raw_body: raw }, { method: 'get', url: 'http://example.com', body: { a: 1 }, raw_body: raw }]) {
      const h = sign(req, config)?.headers as Obj;
      expect(h['x-amz-content-sha256']).toBe('22906461e2a98a3e780d0fd260e341bed5e544661e97c5936fc7f3af11aaad8b');
      expect(h.Authorization).toBe(auth('host;x-amz-content-sha256;x-amz-date', '5bf26e169cb8b02330dba39d53932532438fc856c2f10537689a09ed807c7195'));
    }
  });

  test('body is Go-JSON-marshalled before hashing (a set arrives as an array, as Go marshals it)', () => {
    const h = sign({ method: 'get', url: 'http://example.com', body: { example: [1, 2, 3, 4] } }, config)?.headers as Obj;
    expect(h['x-amz-content-sha256']).toBe('bacff6243c850423883052ac3c336fd645994442933408dfd3f9e858e69bda07');
    expect(h.Authorization).toBe(auth('host;x-amz-content-sha256;x-amz-date', '5fb06ab1cfd74c8fcb3af95b8cce696708cf6155d971dac10f254d79799c6e88'));
  });

  test('disable_payload_signing signs UNSIGNED-PAYLOAD', () => {
    const h = sign({ method: 'get', url: 'https://example.com', headers: { foo: 'bar' } }, { ...config, disable_payload_signing: true })?.headers as Obj;
    expect(h['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
    expect(h.Authorization).toBe(auth('foo;host;x-amz-content-sha256;x-amz-date', 'c6e6db654e92172f71e18c714c123711de069ac6fd7df1348e5b28fd05532028'));
  });
});

describe('providers.aws.sign_req (what is signed)', () => {
  test('only s3/glacier get x-amz-content-sha256; ignored headers are kept but not signed', () => {
    const r = sign({ method: 'GET', url: 'https://api.example.com/a%2Fb?z=1&a=2', headers: { 'User-Agent': 'x', 'X-Custom': 'v' } }, { ...config, aws_service: 'execute-api' });
    const h = r?.headers as Obj;
    expect(h['x-amz-content-sha256']).toBeUndefined();
    expect(h['User-Agent']).toBe('x');
    expect(String(h.Authorization)).toContain('SignedHeaders=host;x-amz-date;x-custom,');
    expect(String(h.Authorization)).toContain('/us-east-1/execute-api/aws4_request');
    expect(h.host).toBe('api.example.com');
  });

  test('the signature depends on the time operand (seconds)', () => {
    const a = (sign({ method: 'get', url: 'http://example.com' }, config, 1451311705000000000)?.headers as Obj).Authorization;
    const b = (sign({ method: 'get', url: 'http://example.com' }, config, 1451311706000000000)?.headers as Obj).Authorization;
    expect(a).not.toBe(b);
  });
});

describe('providers.aws.sign_req (errors, OPA wording)', () => {
  test.each<[string, JsonValue, JsonValue, JsonValue, string]>([
    ['missing request keys', {}, config, 1451311705000000000, 'operand 1 missing required request parameters(s): {"method", "url"}'],
    ['invalid request values', { method: [], url: [] }, config, 1451311705000000000, 'operand 1 invalid values for required request parameters(s): {"method", "url"}'],
    ['unknown request key', { method: 'get', url: 'http://x', bogus: 1 }, config, 1451311705000000000, 'operand 1 invalid request parameters(s): {"bogus"}'],
    ['missing aws keys', { method: 'get', url: 'http://x' }, { example: 'x' }, 1451311705000000000, 'operand 2 missing required AWS config parameters(s): {"aws_access_key", "aws_region", "aws_secret_access_key", "aws_service"}'],
    ['invalid aws values', { method: 'get', url: 'http://x' }, { aws_access_key: 1, aws_secret_access_key: 2, aws_service: 4, aws_region: 5 }, 1451311705000000000, 'operand 2 invalid values for required AWS config parameters(s): {"aws_access_key", "aws_region", "aws_secret_access_key", "aws_service"}'],
    ['bad timestamp', { method: 'get', url: 'http://x' }, config, -1e9, 'operand 3 could not convert time_ns value into a unix timestamp'],
    ['bad payload signing flag', { method: 'get', url: 'http://x' }, { ...config, disable_payload_signing: 'false' }, 1451311705000000000, "operand 2 invalid value for 'disable_payload_signing' in AWS config"],
  ])('%s', (_n, req, cfg, ns, message) => {
    expect(sign(req, cfg, ns)).toBeUndefined();
    expect(() => strictHostBuiltins['providers.aws.sign_req'](req, cfg, ns)).toThrow(`providers.aws.sign_req: ${message}`);
  });
});
