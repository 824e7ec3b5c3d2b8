/**
 * Bundled in place of the OPA SDK's `yaml` dependency (handlerBundleOptions
 * in handler-bundles.ts): the SDK requires yaml when it loads, for its
 * `yaml.*` builtins, which few policies call, so every cold start paid for
 * parsing and evaluating it. This forwards the two functions the SDK uses to
 * the same yaml module, bundled as a file of its own beside the handler
 * (SDK_YAML_FILE) and loaded at the first call: same results, same errors.
 * The path is relative to the handler's `index.js`, the one file of a handler
 * bundle with the SDK in it, and not a literal, so esbuild leaves the require
 * to run time.
 */
const SDK_YAML = './builtins/yaml.js';

interface Yaml {
  parse(source: string): unknown;
  stringify(value: unknown): string;
}

let real: Yaml | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml = (): Yaml => (real ??= require(SDK_YAML) as Yaml);

export function parse(source: string): unknown {
  return yaml().parse(source);
}

export function stringify(value: unknown): string {
  return yaml().stringify(value);
}
