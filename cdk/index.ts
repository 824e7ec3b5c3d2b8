export { OpaAuthorizedApi, API_KEY_HEADER } from './construct/opa-authorized-api';
export type { OpaAuthorizedApiProps, PolicyBundleLocation, ApiKeyQuota, HandlerEntries, LogLevel } from './construct/props';
export { OpaApiStack } from './stack';
export type { OpaApiStackProps } from './stack';
export * from './errors';
