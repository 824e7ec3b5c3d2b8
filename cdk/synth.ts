// `npm run synth [-- -c key=value ...] [--outdir dir] [--require-tenant]`
// Synthesises the stack (the construct compiles the policy) with
// cdk-nag (AwsSolutions) and prints the bundle sizes. Works offline.
import { AUTHORIZER_BUNDLE_BUDGET_BYTES, formatBundleReport, formatBytes } from './bundle-sizes';
import { CdkAppError, CliUsageError } from './errors';
import { synthesize } from './synthesize';

interface CliArgs {
  context: Record<string, string>;
  outdir?: string;
  allowExampleTenant: boolean;
}

function parseArgs(argv: readonly string[]): CliArgs {
  const args: CliArgs = { context: {}, allowExampleTenant: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-c' || arg === '--context') {
      const pair = argv[++i] ?? '';
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new CliUsageError(`expected key=value after ${arg}, got ${JSON.stringify(pair)}`);
      args.context[pair.slice(0, eq)] = pair.slice(eq + 1);
    } else if (arg === '--outdir' || arg === '-o') {
      const dir = argv[++i];
      if (dir === undefined) throw new CliUsageError(`${arg} needs a directory`);
      args.outdir = dir;
    } else if (arg === '--require-tenant') {
      args.allowExampleTenant = false;
    } else {
      throw new CliUsageError(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  return args;
}

function main(): number {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const result = synthesize(args);
  const out = process.stdout;
  if (result.exampleKeys.length > 0) {
    out.write(
      `note: no ${result.exampleKeys.join(', ')} given; synthesised with EXAMPLE values (example.okta.com). ` +
        'Pass -c oktaIssuer=... -c oktaAudience=... -c backendUrl=... for your tenant.\n',
    );
  }
  out.write(`synthesised ${result.stackName} -> ${result.templateFile} (cdk-nag AwsSolutions: no unacknowledged findings) in ${Date.now() - started} ms\n`);
  out.write(`bundle sizes:\n${formatBundleReport(result.bundles)}\n`);
  const verdict = result.authorizerWithinBudget ? 'within' : 'OVER';
  out.write(
    `authorizer bundle (handler + policy.wasm + data): ${formatBytes(result.authorizerBundle.totalBytes)} — ${verdict} the ${formatBytes(AUTHORIZER_BUNDLE_BUDGET_BYTES)} budget\n`,
  );
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  const message = err instanceof CdkAppError ? `${err.name}: ${err.message}` : err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`synth failed: ${message}\n`);
  process.exitCode = 1;
}
