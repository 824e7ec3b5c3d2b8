/** The e2e suites start the stack through the same helper as the gateway bench. */
export { REPO_ROOT, startStackProcess, type StackProcess, type StackUrls } from '../../../local/stack-process';
