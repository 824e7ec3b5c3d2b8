/**
 * The Rego front end as one call, for tools that start from source text
 * (the compliance runner's Rego mode): parse → compile → plan.
 */
export { planQueryForCompliance } from './plan/pipeline';
