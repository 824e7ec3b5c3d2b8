import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { OpaAuthorizedApi } from './construct/opa-authorized-api';
import type { OpaAuthorizedApiProps } from './construct/props';

export interface OpaApiStackProps extends StackProps {
  /** Everything about the API; see `OpaAuthorizedApiProps`. */
  readonly api: OpaAuthorizedApiProps;
}

/** Thin stack: one `OpaAuthorizedApi`, configured from context by cdk/app.ts. */
export class OpaApiStack extends Stack {
  readonly protectedApi: OpaAuthorizedApi;

  constructor(scope: Construct, id: string, props: OpaApiStackProps) {
    super(scope, id, props);
    this.protectedApi = new OpaAuthorizedApi(this, 'ProtectedApi', props.api);
    // Stack-level outputs keep their ids as names: stable `ApiUrl` / `PolicyRevision` for scripts.
    new CfnOutput(this, 'ApiUrl', { value: this.protectedApi.api.url, description: 'Invoke URL of the stage' });
    new CfnOutput(this, 'PolicyRevision', { value: this.protectedApi.policyRevision, description: 'sha256 prefix of the deployed policy.wasm' });
    // `npm run policy:publish -- --bucket <PolicyBucketName> --key <key of PolicyBundleUrl>` publishes to it.
    if (this.protectedApi.policyBucket !== undefined) {
      new CfnOutput(this, 'PolicyBucketName', { value: this.protectedApi.policyBucket.bucketName, description: 'Bucket the functions poll for signed policy bundles' });
    }
    if (this.protectedApi.policyBundleUrl !== undefined) {
      new CfnOutput(this, 'PolicyBundleUrl', { value: this.protectedApi.policyBundleUrl, description: 'Policy bundle the functions poll (POLICY_BUNDLE_URL)' });
    }
  }
}
