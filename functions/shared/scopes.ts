/**
 * Scopes from an access token: Okta puts them in `scp` (array of strings),
 * other issuers in `scope` (space-delimited string, RFC 8693). Both become
 * one sorted, de-duplicated array (`input.token.scopes`).
 */
export function scopesOf(payload: Readonly<Record<string, unknown>>): string[] {
  const found = new Set<string>();
  const scp = payload.scp;
  if (Array.isArray(scp)) {
    for (const s of scp) if (typeof s === 'string' && s !== '') found.add(s);
  } else if (typeof scp === 'string') {
    for (const s of scp.split(' ')) if (s !== '') found.add(s);
  }
  const scope = payload.scope;
  if (typeof scope === 'string') {
    for (const s of scope.split(' ')) if (s !== '') found.add(s);
  }
  return [...found].sort();
}
