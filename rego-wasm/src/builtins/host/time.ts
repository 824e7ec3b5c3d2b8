/**
 * time.* builtins (OPA's topdown/time.go). Instants are computed exactly as
 * BigInt nanoseconds; results are returned as JSON numbers, i.e. the nearest
 * double (the OPA SDK moves values as JSON text through JSON.parse/stringify,
 * so a nanosecond timestamp cannot cross the host boundary exactly; OPA's
 * own Wasm SDK has the same limitation, see OPA issue #3298).
 */
import { BuiltinEvalError, OperandTypeError } from './errors';
import {
  formatTime,
  fromCivil,
  GoTimeError,
  LAYOUT_CONSTANTS,
  loadZone,
  MAX_NS,
  MIN_NS,
  parseDuration,
  parseTime,
  toCivil,
  UTC,
  type Zone,
} from './go-time';
import { evaluationCache } from './evaluation';
import { int, str } from './operands';
import { exactNumber, type ExactNumber, type HostBuiltin, type InternalBuiltin, type JsonValue } from './types';

const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function wrap<T>(builtin: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof GoTimeError) throw new BuiltinEvalError(builtin, e.message);
    throw e;
  }
}

function nsToJson(ns: bigint): number {
  return Number(ns);
}

function safeNs(builtin: string, ns: bigint): number | ExactNumber {
  if (ns < MIN_NS || ns > MAX_NS) throw new BuiltinEvalError(builtin, 'time outside of valid range');
  return exactNumber(ns);
}

function nsOperand(builtin: string, v: JsonValue | undefined): bigint {
  if (typeof v !== 'number') throw new OperandTypeError(builtin, 1, v, 'number');
  if (!Number.isFinite(v)) throw new BuiltinEvalError(builtin, 'timestamp too big');
  const i = BigInt(Math.trunc(v));
  if (i < MIN_NS || i > MAX_NS || !Number.isInteger(v)) throw new BuiltinEvalError(builtin, 'timestamp too big');
  return i;
}

/** OPA's `tzTime`: a number (ns) or [ns, tz?, layout?]. */
function tzTime(builtin: string, v: JsonValue | undefined): { ns: bigint; zone: Zone; layout: string } {
  if (typeof v === 'number') return { ns: nsOperand(builtin, v), zone: UTC, layout: '' };
  if (!Array.isArray(v) || v.length === 0) {
    throw new OperandTypeError(builtin, 1, v, 'either number (ns) or [number (ns), string (tz)]');
  }
  const ns = nsOperand(builtin, v[0]);
  const zone = v.length > 1 ? wrap(builtin, () => loadZone(str(builtin, v[1], 1))) : UTC;
  const layout = v.length > 2 ? str(builtin, v[2], 1) : '';
  return { ns, zone, layout };
}

/** The evaluation's current time in ns (fixed per evaluation, shared with io.jwt.decode_verify). */
export function evaluationNowNs(): number {
  return evaluationCache('time.now_ns', '', () => nsToJson(BigInt(Date.now()) * 1_000_000n));
}

const nowNs: HostBuiltin = () => evaluationNowNs();

const parseNs: InternalBuiltin = (layout, value) => {
  const name = 'time.parse_ns';
  const l = str(name, layout, 1);
  const s = str(name, value, 2);
  return safeNs(name, wrap(name, () => parseTime(LAYOUT_CONSTANTS[l] ?? l, s)));
};

const parseRfc3339Ns: InternalBuiltin = (value) => {
  const name = 'time.parse_rfc3339_ns';
  const s = str(name, value, 1);
  return safeNs(name, wrap(name, () => parseTime(LAYOUT_CONSTANTS.RFC3339 ?? '', s)));
};

const parseDurationNs: InternalBuiltin = (value) => {
  const name = 'time.parse_duration_ns';
  return exactNumber(wrap(name, () => parseDuration(str(name, value, 1))));
};

const format: HostBuiltin = (x) => {
  const name = 'time.format';
  const t = tzTime(name, x);
  const layout = t.layout === '' ? (LAYOUT_CONSTANTS.RFC3339Nano ?? '') : (LAYOUT_CONSTANTS[t.layout] ?? t.layout);
  return wrap(name, () => formatTime(t.ns, t.zone, layout));
};

const date: HostBuiltin = (x) => {
  const t = tzTime('time.date', x);
  const c = wrap('time.date', () => toCivil(t.ns, t.zone));
  return [c.year, c.month, c.day];
};

const clock: HostBuiltin = (x) => {
  const t = tzTime('time.clock', x);
  const c = wrap('time.clock', () => toCivil(t.ns, t.zone));
  return [c.hour, c.minute, c.second];
};

const weekday: HostBuiltin = (x) => {
  const t = tzTime('time.weekday', x);
  return DAY_NAMES[wrap('time.weekday', () => toCivil(t.ns, t.zone)).weekday] ?? '';
};

const addDate: InternalBuiltin = (x, years, months, days) => {
  const name = 'time.add_date';
  const t = tzTime(name, x);
  const y = int(name, years, 2);
  const m = int(name, months, 3);
  const d = int(name, days, 4);
  if (Math.abs(y) > 1e6 || Math.abs(m) > 1e7 || Math.abs(d) > 1e9) throw new BuiltinEvalError(name, 'time outside of valid range');
  const ns = wrap(name, () => {
    const c = toCivil(t.ns, t.zone);
    return fromCivil(c.year + y, c.month + m, c.day + d, c.hour, c.minute, c.second, c.nanos, t.zone);
  });
  return safeNs(name, ns);
};

/** time.diff: [years, months, days, hours, minutes, seconds] between two instants (icza/gox algorithm). */
const diff: HostBuiltin = (a, b) => {
  const name = 'time.diff';
  const t1 = tzTime(name, a);
  const t2 = tzTime(name, b);
  return wrap(name, () => {
    // Both are viewed in t1's zone.
    let [ns1, ns2] = [t1.ns, t2.ns];
    if (ns1 > ns2) [ns1, ns2] = [ns2, ns1];
    const c1 = toCivil(ns1, t1.zone);
    const c2 = toCivil(ns2, t1.zone);
    let year = c2.year - c1.year;
    let month = c2.month - c1.month;
    let day = c2.day - c1.day;
    let hour = c2.hour - c1.hour;
    let min = c2.minute - c1.minute;
    let sec = c2.second - c1.second;
    if (sec < 0) {
      sec += 60;
      min--;
    }
    if (min < 0) {
      min += 60;
      hour--;
    }
    if (hour < 0) {
      hour += 24;
      day--;
    }
    if (day < 0) {
      // days in c1's month: time.Date(y1, M1, 32) normalised → day 32 - n
      const n = c1.month === 2 ? ((c1.year % 4 === 0 && (c1.year % 100 !== 0 || c1.year % 400 === 0)) ? 29 : 28) : [4, 6, 9, 11].includes(c1.month) ? 30 : 31;
      day += n;
      month--;
    }
    if (month < 0) {
      month += 12;
      year--;
    }
    return [year, month, day, hour, min, sec];
  });
};

export const timeBuiltins: Record<string, InternalBuiltin> = {
  'time.now_ns': nowNs,
  'time.parse_ns': parseNs,
  'time.parse_rfc3339_ns': parseRfc3339Ns,
  'time.parse_duration_ns': parseDurationNs,
  'time.format': format,
  'time.date': date,
  'time.clock': clock,
  'time.weekday': weekday,
  'time.add_date': addDate,
  'time.diff': diff,
};
