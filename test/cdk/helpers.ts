import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { OpaAuthorizedApiProps } from '../../cdk/construct/props';
import { OpaApiStack } from '../../cdk/stack';

/** Smallest valid WebAssembly module: magic + version 1. */
export const MINIMAL_WASM = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

/** A handler bundle directory (`index.js`) for template tests that never run the functions. */
export const PLACEHOLDER_HANDLER_DIR = path.join(__dirname, 'fixtures', 'placeholder-handler');

export interface TempPolicyBundle {
  readonly dir: string;
  readonly wasmFile: string;
  readonly dataFile: string;
}

/** A temporary policy bundle (tiny valid wasm + data document), until the real policy is built. */
export function makeTempPolicyBundle(data: unknown = { routes: [] }): TempPolicyBundle {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-policy-'));
  const wasmFile = path.join(dir, 'policy.wasm');
  const dataFile = path.join(dir, 'data.json');
  fs.writeFileSync(wasmFile, MINIMAL_WASM);
  fs.writeFileSync(dataFile, JSON.stringify(data));
  return { dir, wasmFile, dataFile };
}

export const BASE_PROPS = {
  oktaIssuer: 'https://acme.okta.com/oauth2/default',
  oktaAudience: 'api://default',
  backendUrl: 'https://claims.acme.example',
} as const;

/**
 * Props for template tests: temp policy bundle + placeholder handler bundles
 * (the real handlers are bundled and run by bundling.test.ts).
 */
export function testProps(bundle: TempPolicyBundle, overrides: Partial<OpaAuthorizedApiProps> = {}): OpaAuthorizedApiProps {
  return {
    ...BASE_PROPS,
    policyBundle: { wasmFile: bundle.wasmFile, dataFile: bundle.dataFile },
    handlerBundles: { authorizer: PLACEHOLDER_HANDLER_DIR, claimsProxy: PLACEHOLDER_HANDLER_DIR },
    ...overrides,
  };
}

export interface Synthesised {
  readonly app: App;
  readonly stack: OpaApiStack;
  readonly template: Template;
}

/** Synthesise one stack without bundling (fast). */
export function synthWithoutBundling(props: OpaAuthorizedApiProps, id = 'TestStack'): Synthesised {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new OpaApiStack(app, id, { api: props });
  return { app, stack, template: Template.fromStack(stack) };
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

export function resourcesOfType(template: Template, type: string): Array<{ id: string; props: Record<string, unknown> }> {
  const resources = template.toJSON().Resources as Resources;
  return Object.entries(resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => ({ id, props: r.Properties ?? {} }));
}
