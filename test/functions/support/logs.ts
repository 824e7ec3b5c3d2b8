/** Capture log and decision lines in memory. */
import { createDecisionLog, type DecisionLog } from '../../../functions/shared/decision-log';
import { createLogger, type Logger } from '../../../functions/shared/logger';

export interface Captured {
  readonly lines: string[];
  readonly logger: Logger;
  readonly decisions: DecisionLog;
  parsed(): Array<Record<string, unknown>>;
  text(): string;
}

export function captureLogs(): Captured {
  const lines: string[] = [];
  const sink = (line: string): void => {
    lines.push(line);
  };
  return {
    lines,
    logger: createLogger('debug', 'test', sink),
    decisions: createDecisionLog(sink),
    parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    text: () => lines.join('\n'),
  };
}
