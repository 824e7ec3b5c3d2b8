/** The claims API as the portal calls it: Bearer token, JSON, every outcome a value (never a throw for HTTP errors). */

export interface Claim {
  readonly claimId: string;
  readonly claimStatus: string;
  readonly dateOfService: string;
  readonly provider: string;
  readonly enrolleeResponsibilityAmount: number;
  /** Absent when the response policy removed it. */
  readonly procedure?: string;
}

export interface EnrolleeRecord {
  readonly enrolleeId: string;
  readonly enrolleeName: string;
  readonly enrolleeType: string;
  /** Masked (own record) or absent (removed by the response policy). */
  readonly memberSsn?: string;
  readonly enrolleeClaimSummaryList: readonly Claim[];
}

export type ApiResult<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'refused'; readonly status: number; readonly decisionId: string | undefined; readonly reason: string | undefined; readonly requestId: string | undefined }
  | { readonly kind: 'unauthenticated' }
  | { readonly kind: 'failed'; readonly status: number | undefined; readonly message: string; readonly requestId: string | undefined };

const ID = /^[A-Za-z0-9-]{1,32}$/;

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function parseClaim(v: unknown): Claim | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const c = v as Record<string, unknown>;
  if (typeof c.claimId !== 'string') return undefined;
  return {
    claimId: c.claimId,
    claimStatus: String(c.claimStatus ?? ''),
    dateOfService: String(c.dateOfService ?? ''),
    provider: String(c.provider ?? ''),
    enrolleeResponsibilityAmount: typeof c.enrolleeResponsibilityAmount === 'number' ? c.enrolleeResponsibilityAmount : 0,
    ...(typeof c.procedure === 'string' ? { procedure: c.procedure } : {}),
  };
}

function parseRecord(v: unknown): EnrolleeRecord | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  if (typeof r.enrolleeId !== 'string') return undefined;
  const list = Array.isArray(r.enrolleeClaimSummaryList) ? r.enrolleeClaimSummaryList.map(parseClaim).filter((c): c is Claim => c !== undefined) : [];
  return {
    enrolleeId: r.enrolleeId,
    enrolleeName: String(r.enrolleeName ?? ''),
    enrolleeType: String(r.enrolleeType ?? ''),
    ...(typeof r.memberSsn === 'string' ? { memberSsn: r.memberSsn } : {}),
    enrolleeClaimSummaryList: list,
  };
}

export interface NewClaim {
  readonly dateOfService: string;
  readonly provider: string;
  readonly procedure: string;
  readonly enrolleeResponsibilityAmount: number;
}

export class ClaimsApi {
  constructor(private readonly baseUrl: string, private readonly token: () => string | undefined) {}

  getRecord(id: string): Promise<ApiResult<EnrolleeRecord>> {
    return this.call('GET', id, undefined);
  }

  submitClaim(id: string, claim: NewClaim): Promise<ApiResult<EnrolleeRecord>> {
    return this.call('POST', id, claim);
  }

  private async call(method: 'GET' | 'POST', id: string, body: NewClaim | undefined): Promise<ApiResult<EnrolleeRecord>> {
    if (!ID.test(id)) return { kind: 'failed', status: undefined, message: 'not a member id', requestId: undefined };
    const token = this.token();
    if (token === undefined) return { kind: 'unauthenticated' };
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/v1/claims/enrollee/${encodeURIComponent(id)}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        credentials: 'omit',
        cache: 'no-store',
        referrerPolicy: 'no-referrer',
      });
    } catch {
      return { kind: 'failed', status: undefined, message: 'The API could not be reached (network error or CORS).', requestId: undefined };
    }
    let json: unknown;
    try {
      json = await res.json();
    } catch {
      json = undefined;
    }
    const fields = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
    const requestId = str(fields.requestId) ?? res.headers.get('x-amzn-RequestId') ?? undefined;
    if (res.status === 401) return { kind: 'unauthenticated' };
    if (res.status === 403) return { kind: 'refused', status: 403, decisionId: str(fields.decisionId), reason: str(fields.reason) ?? str(fields.error), requestId };
    if (res.ok) {
      const record = parseRecord(json);
      if (record) return { kind: 'ok', value: record };
      return { kind: 'failed', status: res.status, message: 'The API answered with something that is not a member record.', requestId };
    }
    return { kind: 'failed', status: res.status, message: str(fields.message) ?? `HTTP ${res.status}`, requestId };
  }
}
