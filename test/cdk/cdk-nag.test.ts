import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { AwsSolutionsChecks } from 'cdk-nag';
import { OpaApiStack } from '../../cdk/stack';
import { makeTempPolicyBundle, synthWithoutBundling, testProps, TempPolicyBundle } from './helpers';

type Finding = { rule: string; severity: string; resources: string[] };

function findings(stack: Stack): Finding[] {
  const report = new AwsSolutionsChecks().validateScope(stack);
  return report.violations.map((v) => ({
    rule: v.ruleName,
    severity: String(v.severity),
    resources: v.violatingResources.map((r) => String(r.constructPath)),
  }));
}

/** Every acknowledgment recorded on the construct tree: rule id -> reason. */
function acknowledgments(stack: Stack): Map<string, string> {
  const out = new Map<string, string>();
  for (const node of stack.node.findAll()) {
    for (const entry of node.node.metadata) {
      if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && entry.data) {
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          out.set(id.replace(/^annotation::/i, ''), reason);
        }
      }
    }
  }
  return out;
}

describe('cdk-nag AwsSolutions', () => {
  let bundle: TempPolicyBundle;
  let defaultStack: Stack;
  beforeAll(() => {
    bundle = makeTempPolicyBundle();
    defaultStack = synthWithoutBundling(testProps(bundle)).stack;
  });

  test('the default configuration has no unacknowledged error or warning', () => {
    expect(findings(defaultStack)).toEqual([]);
  });

  test('the locked-down configuration (API key, IP policy, WAF, no cache, no tracing) has none either', () => {
    const { stack } = synthWithoutBundling(
      testProps(bundle, {
        apiKeyRequired: true,
        allowedSourceIpRanges: ['198.51.100.0/24'],
        webAclArn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/acme/abc',
        authorizerCacheTtl: Duration.seconds(0),
        tracingEnabled: false,
        cloudWatchRole: false,
      }),
    );
    expect(findings(stack)).toEqual([]);
  });

  test('each acknowledgment is a specific rule with a written reason', () => {
    const acks = acknowledgments(defaultStack);
    expect([...acks.keys()].sort()).toEqual([
      'AwsSolutions-APIG3',
      'AwsSolutions-COG4',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-L1',
    ]);
    for (const reason of acks.values()) expect(reason.length).toBeGreaterThan(60);
  });

  test('with a web ACL the WAF finding is fixed, not acknowledged', () => {
    const { stack } = synthWithoutBundling(
      testProps(bundle, { webAclArn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/acme/abc' }),
    );
    expect(acknowledgments(stack).has('AwsSolutions-APIG3')).toBe(false);
  });

  test('the gate is live: a bare REST API next to ours is reported', () => {
    const { app } = synthWithoutBundling(testProps(bundle));
    const rogue = new Stack(app, 'Rogue');
    new RestApi(rogue, 'Unprotected', { deploy: true }).root.addMethod('GET');
    const rules = findings(rogue).map((f) => f.rule);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-APIG1', 'AwsSolutions-APIG2', 'AwsSolutions-APIG4', 'AwsSolutions-APIG6']));
  });

  test('as a synth plugin it fails app.synth() on a finding and passes our stack', () => {
    const bad = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new RestApi(new Stack(bad, 'Rogue'), 'Unprotected').root.addMethod('GET');
    Validations.of(bad).addPlugins(new AwsSolutionsChecks(bad));
    expect(() => bad.synth()).toThrow(/AwsSolutions-APIG4/);

    const good = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new OpaApiStack(good, 'Good', { api: testProps(bundle) });
    Validations.of(good).addPlugins(new AwsSolutionsChecks(good));
    expect(() => good.synth()).not.toThrow();
  });
});
