/**
 * ACME.md's sample data: two families, their enrollee records and claims.
 * Ids are strings everywhere (token claims, paths, records) so policies can
 * compare them without conversions.
 */

export interface ClaimSummary {
  claimId: string;
  claimStatus: string;
  claimStatusCode: string;
  dateOfService: string;
  provider: string;
  enrolleeResponsibilityAmount: number;
  /** Sensitive: removed by the response policy for everyone but the enrollee. */
  procedure: string;
}

export interface EnrolleeRecord {
  enrolleeId: string;
  enrolleePrimaryId: string;
  enrolleeType: 'primary' | 'secondary';
  enrolleeName: string;
  enrolleeAge: number;
  canPrimaryViewClaims: boolean;
  /** Sensitive: masked/removed by the response policy. */
  memberSsn: string;
  enrolleeClaimSummaryList: ClaimSummary[];
}

function claim(claimId: string, dateOfService: string, provider: string, amount: number, procedure: string, status = 'Processed'): ClaimSummary {
  return {
    claimId,
    claimStatus: status,
    claimStatusCode: status === 'Processed' ? 'P' : status === 'Pending' ? 'N' : 'S',
    dateOfService,
    provider,
    enrolleeResponsibilityAmount: amount,
    procedure,
  };
}

export function sampleRecords(): EnrolleeRecord[] {
  return [
    {
      enrolleeId: '1001', enrolleePrimaryId: '1001', enrolleeType: 'primary', enrolleeName: 'Alice Anders', enrolleeAge: 32,
      canPrimaryViewClaims: true, memberSsn: '123-45-6789',
      enrolleeClaimSummaryList: [
        claim('C-1001-1', '2026-01-12', 'Riverside Clinic', 40, 'Annual physical examination'),
        claim('C-1001-2', '2026-03-03', 'Riverside Imaging', 125.5, 'MRI left knee', 'Pending'),
      ],
    },
    {
      enrolleeId: '1002', enrolleePrimaryId: '1001', enrolleeType: 'secondary', enrolleeName: 'Bob Anders', enrolleeAge: 50,
      canPrimaryViewClaims: true, memberSsn: '234-56-7890',
      enrolleeClaimSummaryList: [claim('C-1002-1', '2026-02-20', 'Lakeside Cardiology', 80, 'Cardiac stress test')],
    },
    {
      enrolleeId: '1003', enrolleePrimaryId: '1001', enrolleeType: 'secondary', enrolleeName: 'John Anders', enrolleeAge: 15,
      canPrimaryViewClaims: false, memberSsn: '345-67-8901',
      enrolleeClaimSummaryList: [claim('C-1003-1', '2026-04-02', 'Northside Pediatrics', 20, 'Vaccination')],
    },
    {
      enrolleeId: '1004', enrolleePrimaryId: '1001', enrolleeType: 'secondary', enrolleeName: 'Jane Anders', enrolleeAge: 21,
      canPrimaryViewClaims: false, memberSsn: '456-78-9012',
      enrolleeClaimSummaryList: [claim('C-1004-1', '2026-05-15', 'Westside Dermatology', 60, 'Skin biopsy')],
    },
    {
      enrolleeId: '2001', enrolleePrimaryId: '2001', enrolleeType: 'primary', enrolleeName: 'Carol Baker', enrolleeAge: 45,
      canPrimaryViewClaims: true, memberSsn: '567-89-0123',
      enrolleeClaimSummaryList: [claim('C-2001-1', '2026-06-01', 'Hilltop Dental', 95, 'Root canal')],
    },
    {
      enrolleeId: '2002', enrolleePrimaryId: '2001', enrolleeType: 'secondary', enrolleeName: 'Dan Baker', enrolleeAge: 12,
      canPrimaryViewClaims: false, memberSsn: '678-90-1234',
      enrolleeClaimSummaryList: [claim('C-2002-1', '2026-06-10', 'Northside Pediatrics', 15, 'Ear infection treatment')],
    },
  ];
}

/**
 * Fault-injection enrollee ids: the backend misbehaves on purpose for these,
 * so the failure contract (DESIGN.md §7) can be exercised over real HTTP.
 */
export const FAULT_IDS = {
  /** Answers 500 with a body that must never reach the client. */
  serverError: '9500',
  /** Answers 200 `application/json` with a body that is not JSON. */
  badJson: '9502',
  /** Answers 200 with an HTML body (non-JSON content type). */
  html: '9503',
  /** Answers after `slowMs` (longer than the proxy's timeout in tests). */
  slow: '9504',
} as const;
