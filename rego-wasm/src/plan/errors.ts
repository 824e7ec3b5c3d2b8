/**
 * Planner failures. A construct the planner cannot lower is reported as a
 * RegoError (`rego_unsupported_error`) carrying the location of the Rego
 * source that contains it — never planned into something that computes a
 * different result.
 */
import { RegoError } from '../errors';
import type { Loc } from './model';

export function planError(message: string, loc: Loc | null, code: 'rego_unsupported_error' | 'rego_internal_error' = 'rego_unsupported_error'): RegoError {
  return new RegoError(code, message, loc ?? undefined);
}
