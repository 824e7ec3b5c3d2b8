/** What the member sees: one card per record, exactly as the API returned it (or why not). */
import type { ApiResult, Claim, EnrolleeRecord } from './api';
import { h } from './dom';

const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

function claimsTable(record: EnrolleeRecord): HTMLElement {
  const claims = record.enrolleeClaimSummaryList;
  if (claims.length === 0) return h('p', {}, 'No claims.');
  const withProcedures = claims.some((c) => c.procedure !== undefined);
  const head = ['Claim', 'Date of service', 'Provider', 'Status', 'You owe', ...(withProcedures ? ['Procedure'] : [])];
  const row = (c: Claim): HTMLElement =>
    h('tr', {},
      h('th', { scope: 'row' }, c.claimId),
      h('td', {}, c.dateOfService),
      h('td', {}, c.provider),
      h('td', {}, c.claimStatus),
      h('td', { class: 'num' }, money.format(c.enrolleeResponsibilityAmount)),
      withProcedures ? h('td', { 'data-field': 'procedure' }, c.procedure ?? '') : null);
  return h('div', { class: 'table-wrap' },
    h('table', {},
      h('caption', {}, `Claims of ${record.enrolleeName || record.enrolleeId}`),
      h('thead', {}, h('tr', {}, ...head.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...claims.map(row))),
    withProcedures ? null : h('p', { class: 'note', 'data-note': 'procedures-hidden' }, 'Procedures are not shown for this member.'));
}

export function recordCard(id: string, label: string, result: ApiResult<EnrolleeRecord>): HTMLElement {
  const headingId = `member-${id}`;
  const card = h('section', { class: 'card', 'aria-labelledby': headingId, 'data-member': id, 'data-outcome': result.kind });
  if (result.kind === 'ok') {
    const r = result.value;
    card.append(
      h('h2', { id: headingId }, `${r.enrolleeName || label} `, h('span', { class: 'id' }, `#${r.enrolleeId}`)),
      h('dl', {},
        h('dt', {}, 'Member type'), h('dd', {}, r.enrolleeType),
        h('dt', {}, 'SSN'), h('dd', { 'data-field': 'ssn' }, r.memberSsn ?? 'Not shown')),
      claimsTable(r));
  } else if (result.kind === 'refused') {
    card.append(
      h('h2', { id: headingId }, `${label} `, h('span', { class: 'id' }, `#${id}`)),
      h('p', { class: 'refused', role: 'status' }, 'Refused: you are not allowed to see this record.'),
      h('dl', {},
        h('dt', {}, 'Decision id'), h('dd', { 'data-field': 'decision-id' }, result.decisionId ?? 'not given'),
        result.reason ? h('dt', {}, 'Reason') : null, result.reason ? h('dd', {}, result.reason) : null,
        result.requestId ? h('dt', {}, 'Request id') : null, result.requestId ? h('dd', {}, result.requestId) : null),
      h('p', { class: 'note' }, 'Quote the decision id if you contact member services.'));
  } else if (result.kind === 'failed') {
    card.append(
      h('h2', { id: headingId }, `${label} `, h('span', { class: 'id' }, `#${id}`)),
      h('p', { class: 'error', role: 'alert' }, `Could not load this record: ${result.message}`));
    if (result.requestId) card.append(h('p', { class: 'note' }, `Request id ${result.requestId}`));
  } else {
    card.append(h('h2', { id: headingId }, label), h('p', { class: 'error', role: 'alert' }, 'Your session has ended. Sign in again.'));
  }
  return card;
}
