/**
 * An independent implementation of OPA's bundle signature format, for the tests only: written
 * from OPA's v1/bundle sign.go / verify.go / hash.go and the "Bundles → Signing" docs with
 * node:crypto alone, sharing no code with src/package/signing.ts (no jws, no lossless-json).
 * It produced the committed vector in fixtures/signing/ and checks what our signer writes.
 */
import { createHash, createHmac, createPrivateKey, createPublicKey, sign as cryptoSign, timingSafeEqual, verify as cryptoVerify, constants } from 'node:crypto';

export interface RefFile {
  name: string;
  hash: string;
  algorithm: string;
}

/** A JSON value with number literals kept as written (Go's json.Number). */
type RefJson = null | boolean | { num: string } | string | RefJson[] | { obj: [string, RefJson][] };

/** A small JSON reader that keeps number literals (RFC 8259 grammar; duplicate keys: last wins, as Go). */
export function refParse(text: string): RefJson {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const value = (): RefJson => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries = new Map<string, RefJson>();
      ws();
      if (text[i] === '}') {
        i++;
        return { obj: [] };
      }
      for (;;) {
        ws();
        const k = str();
        ws();
        if (text[i++] !== ':') throw new Error(`expected : at ${i}`);
        entries.delete(k);
        entries.set(k, value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return { obj: [...entries] };
        } else throw new Error(`expected , or } at ${i}`);
      }
    }
    if (c === '[') {
      i++;
      const items: RefJson[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return items;
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return items;
        } else throw new Error(`expected , or ] at ${i}`);
      }
    }
    if (c === '"') return str();
    for (const [lit, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return v;
      }
    }
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) throw new Error(`bad value at ${i}`);
    i += m[0].length;
    return { num: m[0] };
  };
  const str = (): string => {
    if (text[i] !== '"') throw new Error(`expected string at ${i}`);
    let j = i + 1;
    while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    const s = JSON.parse(text.slice(i, j + 1)) as string;
    i = j + 1;
    return s;
  };
  const v = value();
  ws();
  if (i !== text.length) throw new Error('trailing content');
  return v;
}

/** Go's encodePrimitive for a string (json.Encoder, SetEscapeHTML(false)); Go's decoder made unpaired surrogates U+FFFD. */
function refString(s: string): string {
  return JSON.stringify(s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'))
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** hash.go's walk, written out as the bytes it feeds the hash. */
export function refCanonical(v: RefJson): string {
  if (v === null || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return refString(v);
  if (Array.isArray(v)) return `[${v.map(refCanonical).join(',')}]`;
  if ('num' in v) return v.num;
  const sorted = [...v.obj].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `{${sorted.map(([k, x]) => `${refString(k)}:${refCanonical(x)}`).join(',')}}`;
}

const STRUCTURED = ['data.json', 'data.yaml', 'signatures.json', '.manifest'];

export function refDigest(name: string, body: Uint8Array): string {
  const base = name.split('/').pop() as string;
  const input = STRUCTURED.includes(base) ? Buffer.from(refCanonical(refParse(Buffer.from(body).toString('utf8'))), 'utf8') : body;
  return createHash('sha256').update(input).digest('hex');
}

const b64u = (b: Uint8Array | string): string => Buffer.from(b).toString('base64url');

type RefAlg = 'RS256' | 'PS256' | 'ES256' | 'ES384' | 'HS256' | 'RS512';

const HASH: Record<RefAlg, string> = { RS256: 'sha256', PS256: 'sha256', ES256: 'sha256', ES384: 'sha384', HS256: 'sha256', RS512: 'sha512' };

function rawSign(alg: RefAlg, input: string, key: string): Buffer {
  if (alg === 'HS256') return createHmac('sha256', key).update(input).digest();
  const k = createPrivateKey(key);
  if (alg.startsWith('ES')) return cryptoSign(HASH[alg], Buffer.from(input), { key: k, dsaEncoding: 'ieee-p1363' });
  if (alg === 'PS256') return cryptoSign('sha256', Buffer.from(input), { key: k, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  return cryptoSign(HASH[alg], Buffer.from(input), k);
}

/**
 * A token as `opa sign` writes it: header {"alg"} (+ "kid"), payload {"files": [...]} plus
 * claims, keys in Go's sorted map order, FileInfo fields in struct order.
 */
export function refSignToken(files: readonly RefFile[], opts: { alg: RefAlg; key: string; kid?: string; claims?: Record<string, string> }): string {
  const header = opts.kid ? `{"alg":"${opts.alg}","kid":"${opts.kid}"}` : `{"alg":"${opts.alg}"}`;
  const fileJson = `[${files.map((f) => `{"name":${JSON.stringify(f.name)},"hash":"${f.hash}","algorithm":"${f.algorithm}"}`).join(',')}]`;
  const members: [string, string][] = [['files', fileJson]];
  for (const [k, v] of Object.entries(opts.claims ?? {})) members.push([k, JSON.stringify(v)]);
  members.sort(([a], [b]) => (a < b ? -1 : 1));
  const payload = `{${members.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
  const input = `${b64u(header)}.${b64u(payload)}`;
  return `${input}.${b64u(rawSign(opts.alg, input, opts.key))}`;
}

/** `.signatures.json` as writeTokenToFile writes it: json.MarshalIndent(v, "", " "), no newline. */
export function refSignaturesJson(token: string): string {
  return `{\n "signatures": [\n  "${token}"\n ]\n}`;
}

/** The files of a bundle (names without the leading `/`), hashed as `opa sign` hashes them. */
export function refFiles(files: readonly (readonly [string, Uint8Array])[]): RefFile[] {
  return files
    .map(([n, b]) => [n.replace(/^\//, ''), b] as const)
    .filter(([n]) => !n.endsWith('signatures.json'))
    .map(([name, body]) => ({ name, hash: refDigest(name, body), algorithm: 'SHA-256' }));
}

/**
 * verify.go's rules for one bundle: one token, the configured key and algorithm, scope equal,
 * every file (except the signatures file) listed with its digest, no listed file missing.
 * Returns the error text or 'ok'.
 */
export function refVerify(
  files: readonly (readonly [string, Uint8Array])[],
  opts: { alg: RefAlg; publicKey?: string; secret?: string; scope?: string },
): string {
  const sigFile = files.find(([n]) => n.replace(/^\//, '') === '.signatures.json');
  if (!sigFile) return 'bundle missing .signatures.json file';
  const sc = JSON.parse(Buffer.from(sigFile[1]).toString('utf8')) as { signatures?: string[] };
  if (!sc.signatures || sc.signatures.length !== 1) return 'expected exactly one JWT';
  const [h, p, s] = sc.signatures[0].split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg: string };
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { files: RefFile[]; scope?: string };
  if (header.alg !== opts.alg) return 'algorithm mismatch';
  const input = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, 'base64url');
  let ok: boolean;
  if (opts.alg === 'HS256') {
    const want = createHmac('sha256', opts.secret as string).update(input).digest();
    ok = want.length === sig.length && timingSafeEqual(want, sig);
  } else {
    const k = createPublicKey(opts.publicKey as string);
    if (opts.alg.startsWith('ES')) ok = cryptoVerify(HASH[opts.alg], input, { key: k, dsaEncoding: 'ieee-p1363' }, sig);
    else if (opts.alg === 'PS256') ok = cryptoVerify('sha256', input, { key: k, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig);
    else ok = cryptoVerify(HASH[opts.alg], input, k, sig);
  }
  if (!ok) return 'signature invalid';
  if ((payload.scope ?? '') !== (opts.scope ?? '')) return 'scope mismatch';
  const listed = new Map(payload.files.map((f) => [f.name, f]));
  for (const [n, body] of files) {
    const name = n.replace(/^\//, '');
    if (name.endsWith('signatures.json')) continue;
    const f = listed.get(name);
    if (!f) return `file ${name} not included in bundle signature`;
    if (f.algorithm !== 'SHA-256') return `unexpected algorithm ${f.algorithm}`;
    if (refDigest(name, body) !== f.hash) return `${name}: digest mismatch`;
    listed.delete(name);
  }
  if (listed.size > 0) return `file(s) ${[...listed.keys()].join(',')} specified in bundle signatures but not found in the target bundle`;
  return 'ok';
}
