/** The e2e suites start the stack through the same helper as the gateway bench. */
import type { StackProcess } from '../../../local/stack-process';

export { REPO_ROOT, startStackProcess, type StackProcess, type StackUrls } from '../../../local/stack-process';

/**
 * The stack's output once a line matches `pattern` (or as it is after `ms`):
 * a log line the stack writes while answering can reach this process just
 * after the answer does.
 */
export async function outputMatching(stack: StackProcess, pattern: RegExp, ms = 5000): Promise<string> {
  const until = Date.now() + ms;
  while (!pattern.test(stack.output()) && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
  return stack.output();
}
