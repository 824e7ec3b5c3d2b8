/** Builtins the unmodified OPA SDK implements itself (they take priority over ours). */
export const SDK_BUILTINS: readonly string[] = [
  'json.is_valid',
  'sprintf',
  'regex.split',
  'yaml.is_valid',
  'yaml.marshal',
  'yaml.unmarshal',
];
