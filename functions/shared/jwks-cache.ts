/**
 * aws-jwt-verify's SimpleJwksCache keeps a JWKS forever (until an unknown kid
 * arrives). This subclass bounds its age: a JWKS older than `maxAgeSeconds`
 * is refetched before the next verification uses it, so a key that Okta
 * removed stops verifying within that time. A failed refresh fails closed
 * (the error propagates; the stale set is not used).
 */
import { SimpleJwksCache, SimplePenaltyBox, type Jwks, type JwkWithKid } from 'aws-jwt-verify/jwk';
import type { Fetcher } from 'aws-jwt-verify/https';

type DecomposedJwt = Parameters<SimpleJwksCache['getJwk']>[1];

export class BoundedAgeJwksCache extends SimpleJwksCache {
  private readonly fetchedAt = new Map<string, number>();

  constructor(
    private readonly maxAgeSeconds: number,
    fetcher: Fetcher,
    private readonly now: () => number = Date.now,
  ) {
    super({ fetcher, penaltyBox: new SimplePenaltyBox({ waitSeconds: 10 }) });
  }

  override async getJwks(jwksUri: string): Promise<Jwks> {
    const jwks = await super.getJwks(jwksUri);
    this.fetchedAt.set(jwksUri, this.now());
    return jwks;
  }

  override addJwks(jwksUri: string, jwks: Jwks): void {
    super.addJwks(jwksUri, jwks);
    this.fetchedAt.set(jwksUri, this.now());
  }

  /** True when the cached JWKS for `jwksUri` is missing or older than the max age. */
  isStale(jwksUri: string): boolean {
    const at = this.fetchedAt.get(jwksUri);
    return at === undefined || this.now() - at > this.maxAgeSeconds * 1000;
  }

  override getJwk(jwksUri: string, decomposedJwt: DecomposedJwt): Promise<JwkWithKid> {
    if (this.fetchedAt.has(jwksUri) && this.isStale(jwksUri)) {
      return this.getJwks(jwksUri).then(() => super.getJwk(jwksUri, decomposedJwt));
    }
    // Fresh: the library's own lookup, without another promise hop per request.
    return super.getJwk(jwksUri, decomposedJwt);
  }

  override getCachedJwk(jwksUri: string, decomposedJwt: DecomposedJwt): JwkWithKid {
    if (this.isStale(jwksUri)) throw new Error('JWKS cache is stale; use the async verify()');
    return super.getCachedJwk(jwksUri, decomposedJwt);
  }
}
