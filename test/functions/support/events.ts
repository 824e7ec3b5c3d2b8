import * as fs from 'node:fs';
import * as path from 'node:path';

const EVENTS = path.join(__dirname, '..', '..', 'events');

/** A recorded API Gateway event from test/events with `__ACCESS_TOKEN__` replaced by `token`. */
export const readEvent = <T>(name: string, token: string): T =>
  JSON.parse(fs.readFileSync(path.join(EVENTS, name), 'utf8').replaceAll('__ACCESS_TOKEN__', token)) as T;
