export { OpaAuthorizedApi } from './construct/opa-authorized-api';
export { API_KEY_HEADER, authorizerIdentitySources } from './construct/identity-sources';
export { gatewayResponseSpecs, bearerChallenge } from './construct/gateway-responses';
export type { OpaAuthorizedApiProps, PolicyBundleLocation, ApiKeyQuota, HandlerEntries, LogLevel } from './construct/props';
export { OpaApiStack } from './stack';
export type { OpaApiStackProps } from './stack';
export * from './errors';
