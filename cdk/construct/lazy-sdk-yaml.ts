/**
 * Bundled in place of the OPA SDK's `yaml` dependency (handlerBundleOptions
 * in handler-bundles.ts): the SDK requires yaml when it loads, for its
 * `yaml.*` builtins, which few policies call, so every cold start paid for
 * evaluating it. This forwards the two functions the SDK uses to the same
 * yaml module (its path is set by the bundler), loaded at the first call:
 * same results, same errors.
 */
declare const __SDK_YAML_PATH__: string;

interface Yaml {
  parse(source: string): unknown;
  stringify(value: unknown): string;
}

let real: Yaml | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml = (): Yaml => (real ??= require(__SDK_YAML_PATH__) as Yaml);

export function parse(source: string): unknown {
  return yaml().parse(source);
}

export function stringify(value: unknown): string {
  return yaml().stringify(value);
}
