import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

/** Size budget for the authorizer bundle (handler JS + policy wasm + data), bytes. */
export const AUTHORIZER_BUNDLE_BUDGET_BYTES = 1024 * 1024;

export interface BundleFileSize {
  readonly file: string;
  readonly bytes: number;
}

export interface FunctionBundleSize {
  /** Construct path of the Lambda function. */
  readonly constructPath: string;
  readonly logicalId: string;
  /** Asset directory inside the cloud assembly. */
  readonly assetDir: string;
  readonly files: readonly BundleFileSize[];
  /** Sum of the files (what Lambda unpacks). */
  readonly totalBytes: number;
  /** Sum of the files deflated at level 9 (close to the uploaded zip). */
  readonly deflatedBytes: number;
}

interface TemplateResource {
  readonly Type: string;
  readonly Metadata?: Record<string, unknown>;
}

/**
 * Measure the bundle of every Lambda function in a synthesised template. The
 * app must be synthesised with context `aws:cdk:enable-asset-metadata: true`
 * so each function names its asset directory.
 */
export function measureFunctionBundles(assemblyDir: string, template: { Resources?: Record<string, TemplateResource> }): FunctionBundleSize[] {
  const sizes: FunctionBundleSize[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const assetPath = resource.Metadata?.['aws:asset:path'];
    const constructPath = String(resource.Metadata?.['aws:cdk:path'] ?? logicalId);
    if (typeof assetPath !== 'string') {
      throw new Error(`function ${constructPath} has no aws:asset:path metadata (synthesise with aws:cdk:enable-asset-metadata)`);
    }
    const assetDir = path.resolve(assemblyDir, assetPath);
    const files = listFiles(assetDir).map((file) => ({ file, bytes: fs.statSync(path.join(assetDir, file)).size }));
    const deflatedBytes = listFiles(assetDir).reduce(
      (sum, file) => sum + zlib.deflateRawSync(fs.readFileSync(path.join(assetDir, file)), { level: 9 }).length,
      0,
    );
    sizes.push({
      constructPath,
      logicalId,
      assetDir,
      files,
      totalBytes: files.reduce((sum, f) => sum + f.bytes, 0),
      deflatedBytes,
    });
  }
  return sizes;
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = path.join(prefix, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

/** Human-readable report, one block per function. */
export function formatBundleReport(sizes: readonly FunctionBundleSize[]): string {
  const lines: string[] = [];
  for (const size of sizes) {
    lines.push(`${size.constructPath}: ${formatBytes(size.totalBytes)} unpacked, ~${formatBytes(size.deflatedBytes)} zipped`);
    for (const file of size.files) lines.push(`    ${file.file.padEnd(16)} ${formatBytes(file.bytes)}`);
  }
  return lines.join('\n');
}
