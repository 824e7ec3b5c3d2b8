/**
 * API Gateway's evaluation of an authorizer's IAM policy against the
 * request's methodArn: an explicit Deny wins, otherwise an Allow is needed;
 * `Action` must cover `execute-api:Invoke` (`execute-api:*`, `*`), and
 * `Resource` globs (`*`, `?`) are anchored over the whole ARN.
 */

export type PolicyVerdict = 'allow' | 'explicit-deny' | 'implicit-deny';

export interface PolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly PolicyStatement[];
}

const globCache = new Map<string, RegExp>();

/** IAM-style glob: `*` any run of characters (including `/`), `?` one character; case-sensitive, anchored. */
export function globToRegExp(glob: string): RegExp {
  let re = globCache.get(glob);
  if (re) return re;
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  re = new RegExp(`^${body}$`, 's');
  if (globCache.size > 1000) globCache.clear();
  globCache.set(glob, re);
  return re;
}

function asList(v: string | readonly string[]): readonly string[] {
  return typeof v === 'string' ? [v] : v;
}

function actionCoversInvoke(action: string): boolean {
  // IAM action names are case-insensitive.
  return globToRegExp(action.toLowerCase()).test('execute-api:invoke');
}

function statementMatches(s: PolicyStatement, methodArn: string): boolean {
  return asList(s.Action).some(actionCoversInvoke) && asList(s.Resource).some((r) => globToRegExp(r).test(methodArn));
}

export function evaluatePolicy(doc: PolicyDocument, methodArn: string): PolicyVerdict {
  let allowed = false;
  for (const s of doc.Statement) {
    if (!statementMatches(s, methodArn)) continue;
    if (s.Effect === 'Deny') return 'explicit-deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}
