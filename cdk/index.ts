/** Public API of the construct package: the construct, its props, the thin stack and the errors. */
export { OpaAuthorizedApi } from './construct/opa-authorized-api';
export { API_KEY_HEADER, authorizerIdentitySources } from './construct/identity-sources';
export { gatewayResponseSpecs, bearerChallenge } from './construct/gateway-responses';
export { PolicyFunction } from './construct/policy-function';
export type { OpaAuthorizedApiProps, PolicyBundleLocation, PolicyBundleSource, PolicyBundlePolling, ApiKeyQuota, HandlerBundles, LogLevel } from './construct/props';
export { PolicyBucket } from './construct/policy-bundles';
export type { ResolvedApiConfig, ResolvedPolicyBundles, ResolvedBundleSource, ResolvedVerificationKey } from './construct/validate-props';
export { OpaApiStack } from './stack';
export type { OpaApiStackProps } from './stack';
export { CdkAppError, InvalidPropError, PolicyBuildError } from './errors';
export type { CorsOptions, ResolvedCors } from './construct/cors';
export type { BackendMtlsOptions, IntrospectionClientAuth, IntrospectionOptions, MtlsDomainOptions, ResolvedSecurity } from './construct/mtls-domain';
