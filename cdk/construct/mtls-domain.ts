/**
 * The rest of the security chain in the construct (README "Token
 * introspection", "Client certificates and mTLS"):
 *   - `mtlsDomain`: a custom domain with mutual TLS (truststore in S3) mapped
 *     to the stage, and the execute-api endpoint disabled so the client
 *     certificate cannot be bypassed;
 *   - `introspection`: the authorizer's INTROSPECTION_* environment, the
 *     client credentials as a Secrets Manager secret (only its ARN reaches
 *     the environment);
 *   - `backendMtls`: the claims proxy's client certificate, key and pinned CA
 *     as one secret.
 * Each function may read exactly the secret it is given
 * (`secretsmanager:GetSecretValue` on that ARN, plus `kms:Decrypt` when the
 * secret has a customer-managed key), nothing else.
 */
import { Duration, Token } from 'aws-cdk-lib';
import { DomainName, EndpointType, SecurityPolicy, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { InvalidPropError } from '../errors';

/** A custom domain with mutual TLS. */
export interface MtlsDomainOptions {
  /** e.g. `api.partners.acme.example`. */
  readonly domainName: string;
  /** ARN of the ACM certificate for `domainName` (regional, in the stack's region). */
  readonly certificateArn: string;
  /** The truststore: a PEM bundle of the CAs whose client certificates are accepted. */
  readonly truststore: {
    readonly bucket: IBucket;
    readonly key: string;
    /** S3 object version (versioned bucket): pin it so a changed truststore is a deliberate deployment. */
    readonly version?: string;
  };
}

export type IntrospectionClientAuth = 'private_key_jwt' | 'client_secret_basic' | 'client_secret_post';

/** Token introspection at Okta (RFC 7662). Off unless given. */
export interface IntrospectionOptions {
  /** `policy`: routes/products that data.json marks sensitive; `all`: every request. */
  readonly mode: 'policy' | 'all';
  /** The gateway's OAuth client id at the authorization server. */
  readonly clientId: string;
  /** @default 'private_key_jwt' */
  readonly clientAuth?: IntrospectionClientAuth;
  /** JSON `{"privateKeyPem", "kid"?}` (private_key_jwt) or `{"clientSecret"}`. */
  readonly credentials: ISecret;
  /** @default `${oktaIssuer}/v1/introspect` */
  readonly endpoint?: string;
  /** Longest a positive answer is reused, the revocation bound on top of authorizerCacheTtl (0–300 s). @default 30 s */
  readonly cacheTtl?: Duration;
  /** @default 1.5 s (at most the authorizer's timeout minus 1 s) */
  readonly timeout?: Duration;
  /**
   * In `policy` mode, the entrypoint that says whether a request needs
   * introspection (`{"required": bool, "on_unavailable"?}`); a `policyDirectory`
   * is built for it too.
   * @default 'acme/authz/introspection'
   */
  readonly entrypoint?: string;
}

export const DEFAULT_INTROSPECTION_ENTRYPOINT = 'acme/authz/introspection';
const ENTRYPOINT = /^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Mutual TLS from the claims proxy to the backend. */
export interface BackendMtlsOptions {
  /** JSON `{"certificatePem", "privateKeyPem", "caPem"}`: client certificate, its key and the ONE CA the backend must chain to. */
  readonly credentials: ISecret;
}

export interface ResolvedSecurity {
  readonly mtlsDomain: MtlsDomainOptions | undefined;
  readonly introspection: (IntrospectionOptions & { readonly endpoint: string; readonly cacheTtl: Duration; readonly timeout: Duration; readonly clientAuth: IntrospectionClientAuth; readonly entrypoint: string }) | undefined;
  readonly backendMtls: BackendMtlsOptions | undefined;
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const ACM_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/;
const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;
const CLIENT_AUTH: readonly IntrospectionClientAuth[] = ['private_key_jwt', 'client_secret_basic', 'client_secret_post'];

function isSecret(value: unknown): value is ISecret {
  return typeof value === 'object' && value !== null && typeof (value as ISecret).secretArn === 'string';
}

/** Validate the three options (`oktaIssuer` and `backendUrl` already checked; tokens are left to CloudFormation). */
export function resolveSecurity(
  props: { readonly mtlsDomain?: MtlsDomainOptions; readonly introspection?: IntrospectionOptions; readonly backendMtls?: BackendMtlsOptions },
  ctx: { readonly oktaIssuer: string; readonly backendUrl: string; readonly authorizerTimeout: Duration },
): ResolvedSecurity {
  const d = props.mtlsDomain;
  if (d !== undefined) {
    if (!Token.isUnresolved(d.domainName) && !HOSTNAME.test(d.domainName)) throw new InvalidPropError('mtlsDomain', `domainName must be a lower-case DNS name, got "${d.domainName}"`);
    if (!Token.isUnresolved(d.certificateArn) && !ACM_ARN.test(d.certificateArn)) throw new InvalidPropError('mtlsDomain', 'certificateArn must be an ACM certificate ARN');
    if (typeof d.truststore?.bucket?.bucketName !== 'string') throw new InvalidPropError('mtlsDomain', 'truststore.bucket must be an S3 bucket');
    if (!Token.isUnresolved(d.truststore.key) && (d.truststore.key === '' || d.truststore.key.startsWith('/'))) {
      throw new InvalidPropError('mtlsDomain', 'truststore.key must be the object key of the CA bundle (no leading "/")');
    }
  }

  let introspection: ResolvedSecurity['introspection'];
  const i = props.introspection;
  if (i !== undefined) {
    if (i.mode !== 'policy' && i.mode !== 'all') throw new InvalidPropError('introspection', `mode must be "policy" or "all", got "${String(i.mode)}"`);
    if (!CLIENT_ID.test(i.clientId ?? '')) throw new InvalidPropError('introspection', 'clientId must be an OAuth client id (1-128 URL-safe characters)');
    const clientAuth = i.clientAuth ?? 'private_key_jwt';
    if (!CLIENT_AUTH.includes(clientAuth)) throw new InvalidPropError('introspection', `clientAuth must be one of ${CLIENT_AUTH.join(', ')}`);
    if (!isSecret(i.credentials)) throw new InvalidPropError('introspection', 'credentials must be a Secrets Manager secret (ISecret); a secret value is never put in the environment');
    const endpoint = i.endpoint ?? `${ctx.oktaIssuer}/v1/introspect`;
    if (!Token.isUnresolved(endpoint) && !endpoint.startsWith('https://')) throw new InvalidPropError('introspection', `endpoint must be https, got "${endpoint}"`);
    const cacheTtl = i.cacheTtl ?? Duration.seconds(30);
    const ttlMs = cacheTtl.toMilliseconds();
    if (ttlMs % 1000 !== 0 || ttlMs > 300_000) throw new InvalidPropError('introspection', `cacheTtl must be whole seconds between 0 and 300, got ${ttlMs / 1000} s`);
    const timeout = i.timeout ?? Duration.millis(1500);
    const timeoutMs = timeout.toMilliseconds();
    if (timeoutMs < 50 || timeoutMs > Math.min(10_000, ctx.authorizerTimeout.toMilliseconds() - 1000)) {
      throw new InvalidPropError('introspection', `timeout must be between 50 ms and the authorizer's timeout minus 1 s (at most 10 s), got ${timeoutMs} ms`);
    }
    const entrypoint = i.entrypoint ?? DEFAULT_INTROSPECTION_ENTRYPOINT;
    if (!ENTRYPOINT.test(entrypoint)) throw new InvalidPropError('introspection', `entrypoint must be a policy path like "acme/authz/introspection", got "${entrypoint}"`);
    introspection = { ...i, clientAuth, endpoint, cacheTtl, timeout, entrypoint };
  }

  const b = props.backendMtls;
  if (b !== undefined) {
    if (!isSecret(b.credentials)) throw new InvalidPropError('backendMtls', 'credentials must be a Secrets Manager secret (ISecret)');
    if (!Token.isUnresolved(ctx.backendUrl) && !ctx.backendUrl.startsWith('https://')) throw new InvalidPropError('backendMtls', 'needs an https backendUrl');
  }
  return { mtlsDomain: d, introspection, backendMtls: b };
}

export function introspectionEnvironment(security: ResolvedSecurity): Record<string, string> {
  const i = security.introspection;
  if (i === undefined) return {};
  return {
    INTROSPECTION_MODE: i.mode,
    INTROSPECTION_ENDPOINT: i.endpoint,
    INTROSPECTION_CLIENT_ID: i.clientId,
    INTROSPECTION_CLIENT_AUTH: i.clientAuth,
    INTROSPECTION_SECRET_ARN: i.credentials.secretArn,
    INTROSPECTION_CACHE_TTL_SECONDS: String(i.cacheTtl.toSeconds()),
    INTROSPECTION_TIMEOUT_MS: String(i.timeout.toMilliseconds()),
    POLICY_INTROSPECTION_ENTRYPOINT: i.entrypoint,
  };
}

export function backendMtlsEnvironment(security: ResolvedSecurity): Record<string, string> {
  return security.backendMtls === undefined ? {} : { BACKEND_MTLS_SECRET_ARN: security.backendMtls.credentials.secretArn };
}

/** `secretsmanager:GetSecretValue` on this secret only (not grantRead's DescribeSecret), and decrypt with its key if it has one. */
export function grantSecretValue(fn: IFunction, secret: ISecret): void {
  // A secret referenced by partial ARN (fromSecretNameV2) also matches its full ARN with the 6-character suffix.
  const resources = secret.secretFullArn === undefined ? [`${secret.secretArn}-??????`] : [secret.secretFullArn];
  fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources }));
  secret.encryptionKey?.grantDecrypt(fn);
}

/** The custom domain with mutual TLS, mapped to the stage at the root path. */
export function addMtlsDomain(scope: Construct, api: RestApi, options: MtlsDomainOptions): DomainName {
  const domain = new DomainName(scope, 'MtlsDomain', {
    domainName: options.domainName,
    certificate: Certificate.fromCertificateArn(scope, 'MtlsDomainCertificate', options.certificateArn),
    endpointType: EndpointType.REGIONAL,
    securityPolicy: SecurityPolicy.TLS_1_2,
    mtls: { bucket: options.truststore.bucket, key: options.truststore.key, version: options.truststore.version },
  });
  domain.addBasePathMapping(api, { stage: api.deploymentStage });
  return domain;
}
