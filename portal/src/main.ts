/**
 * The Acme member portal: sign in, see your family's claims as the
 * policies allow, submit a claim for a dependant (primary members), sign out.
 */
import { ClaimsApi, type ApiResult, type EnrolleeRecord } from './api';
import { Auth, type Session } from './auth';
import { loadConfig } from './config';
import { h } from './dom';
import { recordCard } from './views';

const app = document.getElementById('app') as HTMLElement;
const status = document.getElementById('status') as HTMLElement;

function announce(message: string): void {
  status.textContent = message;
}

function show(...nodes: Array<Node | null>): void {
  app.replaceChildren(...nodes.filter((n): n is Node => n !== null));
}

function signedOutView(auth: Auth): HTMLElement {
  const button = h('button', { type: 'button', id: 'sign-in' }, 'Sign in');
  button.addEventListener('click', () => {
    button.disabled = true;
    void auth.signIn().catch(() => {
      button.disabled = false;
      announce('Sign-in could not start: the sign-in service is unreachable.');
    });
  });
  return h('section', { class: 'card', 'aria-labelledby': 'welcome' },
    h('h2', { id: 'welcome' }, 'Welcome'),
    h('p', {}, 'Sign in to see your claims and those of your family.'),
    button);
}

function claimForm(session: Session, api: ClaimsApi, onDone: (id: string, result: ApiResult<EnrolleeRecord>) => void): HTMLElement | null {
  if (session.enrolleeType !== 'primary' || session.dependants.length === 0) return null;
  const today = new Date().toISOString().slice(0, 10);
  const select = h('select', { id: 'claim-member', name: 'member', required: '' }, ...session.dependants.map((d) => h('option', { value: d }, `Member #${d}`)));
  const form = h('form', { id: 'claim-form', 'aria-labelledby': 'claim-heading' },
    h('h2', { id: 'claim-heading' }, 'Submit a claim for a dependant'),
    h('label', { for: 'claim-member' }, 'Dependant'), select,
    h('label', { for: 'claim-date' }, 'Date of service'), h('input', { id: 'claim-date', name: 'date', type: 'date', required: '', max: today, value: today }),
    h('label', { for: 'claim-provider' }, 'Provider'), h('input', { id: 'claim-provider', name: 'provider', required: '', maxlength: '100', autocomplete: 'off' }),
    h('label', { for: 'claim-procedure' }, 'Procedure'), h('input', { id: 'claim-procedure', name: 'procedure', maxlength: '200', autocomplete: 'off' }),
    h('label', { for: 'claim-amount' }, 'Amount you paid (USD)'), h('input', { id: 'claim-amount', name: 'amount', type: 'number', min: '0', step: '0.01', value: '0', required: '' }),
    h('button', { type: 'submit' }, 'Submit claim'),
    h('p', { id: 'claim-result', role: 'status', 'aria-live': 'polite' }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const id = String(data.get('member') ?? '');
    const out = form.querySelector('#claim-result') as HTMLElement;
    out.textContent = 'Submitting…';
    void api.submitClaim(id, {
      dateOfService: String(data.get('date') ?? ''),
      provider: String(data.get('provider') ?? '').trim(),
      procedure: String(data.get('procedure') ?? '').trim(),
      enrolleeResponsibilityAmount: Number(data.get('amount') ?? 0),
    }).then((result) => {
      out.textContent = result.kind === 'ok'
        ? `Claim submitted for member #${id}.`
        : result.kind === 'refused'
          ? `Claim refused for member #${id} (decision id ${result.decisionId ?? 'not given'}).`
          : result.kind === 'unauthenticated' ? 'Your session has ended. Sign in again.' : `Claim not submitted: ${result.message}`;
      onDone(id, result);
    });
  });
  return form;
}

async function signedInView(auth: Auth, session: Session, api: ClaimsApi): Promise<void> {
  const signOut = h('button', { type: 'button', id: 'sign-out' }, 'Sign out');
  signOut.addEventListener('click', () => {
    signOut.disabled = true;
    void auth.signOut().catch(() => show(signedOutView(auth)));
  });
  const header = h('section', { class: 'who', 'aria-label': 'Signed in' },
    h('p', {}, 'Signed in as ', h('strong', { id: 'user-name' }, session.name), session.enrolleeId ? ` (member #${session.enrolleeId})` : ''), signOut);
  if (session.enrolleeId === undefined) {
    show(header, h('p', { class: 'error', role: 'alert' }, 'This account is not linked to a member record.'));
    return;
  }
  const ids = [session.enrolleeId, ...session.dependants.filter((d) => d !== session.enrolleeId)];
  const records = h('div', { id: 'records', 'aria-busy': 'true' });
  const refresh = async (id: string, result?: ApiResult<EnrolleeRecord>): Promise<void> => {
    const label = id === session.enrolleeId ? 'Your record' : 'Family member';
    const r = result !== undefined && result.kind === 'ok' ? result : await api.getRecord(id);
    const card = recordCard(id, label, r);
    const old = records.querySelector(`[data-member="${id}"]`);
    if (old) old.replaceWith(card);
    else records.append(card);
  };
  show(header, records, claimForm(session, api, (id, result) => void refresh(id, result)));
  const results = await Promise.all(ids.map((id) => api.getRecord(id)));
  if (results.some((r) => r.kind === 'unauthenticated')) {
    show(signedOutView(auth));
    announce('Your session has ended. Sign in again.');
    return;
  }
  records.replaceChildren(...ids.map((id, i) => recordCard(id, id === session.enrolleeId ? 'Your record' : 'Family member', results[i] ?? { kind: 'unauthenticated' })));
  records.setAttribute('aria-busy', 'false');
  announce(`Loaded ${ids.length} record${ids.length === 1 ? '' : 's'}.`);
}

async function main(): Promise<void> {
  const config = await loadConfig();
  const auth = new Auth(config, window.location.origin);
  try {
    await auth.completeRedirect(window.location);
  } catch {
    announce('Sign-in failed. Try again.');
  }
  const session = auth.session();
  if (session === null) {
    show(signedOutView(auth));
    return;
  }
  await signedInView(auth, session, new ClaimsApi(config.apiUrl, () => auth.session()?.accessToken));
}

main().catch((error: unknown) => {
  show(h('p', { class: 'error', role: 'alert' }, `The portal could not start: ${error instanceof Error ? error.message : 'unknown error'}`));
});
