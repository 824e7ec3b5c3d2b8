/**
 * The parts of Go's `time` package that OPA's time.* builtins expose:
 * layouts ("2006-01-02T15:04:05Z07:00"), parsing, formatting, civil dates
 * and IANA zones (via Intl). Instants are BigInt nanoseconds since the Unix
 * epoch, so arithmetic is exact over OPA's whole int64 range.
 */

export class GoTimeError extends Error {}

export const NS_PER_SEC = 1_000_000_000n;
export const MIN_NS = -(2n ** 63n);
export const MAX_NS = 2n ** 63n - 1n;

export const LAYOUT_CONSTANTS: Readonly<Record<string, string>> = {
  ANSIC: 'Mon Jan _2 15:04:05 2006',
  UnixDate: 'Mon Jan _2 15:04:05 MST 2006',
  RubyDate: 'Mon Jan 02 15:04:05 -0700 2006',
  RFC822: '02 Jan 06 15:04 MST',
  RFC822Z: '02 Jan 06 15:04 -0700',
  RFC850: 'Monday, 02-Jan-06 15:04:05 MST',
  RFC1123: 'Mon, 02 Jan 2006 15:04:05 MST',
  RFC1123Z: 'Mon, 02 Jan 2006 15:04:05 -0700',
  RFC3339: '2006-01-02T15:04:05Z07:00',
  RFC3339Nano: '2006-01-02T15:04:05.999999999Z07:00',
};

const LONG_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

/** Days since 1970-01-01 → [year, month 1-12, day]; proleptic Gregorian. */
export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400;
  return [m <= 2 ? y + 1 : y, m, d];
}

/** [year, month, day] → days since epoch; month and day may be out of range (normalised like Go). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const m0 = month - 1;
  const y = year + Math.floor(m0 / 12);
  const m = (((m0 % 12) + 12) % 12) + 1;
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

export function daysIn(month: number, year: number): number {
  if (month === 2) return isLeap(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

// ---------------------------------------------------------------- zones

/** A time zone: UTC, a fixed offset (from parsing), or an IANA name. */
export interface Zone {
  /** IANA name, or undefined for UTC / fixed offsets. */
  iana?: string;
  /** Fixed offset seconds east of UTC (UTC / parsed zones). */
  fixedOffset?: number;
  /** Abbreviation for fixed zones ("UTC", "" for a bare numeric offset). */
  fixedName?: string;
}

export const UTC: Zone = { fixedOffset: 0, fixedName: 'UTC' };

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(iana: string): Intl.DateTimeFormat {
  let f = formatters.get(iana);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: iana,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
      timeZoneName: 'short',
    });
    if (formatters.size > 200) formatters.clear();
    formatters.set(iana, f);
  }
  return f;
}

/** Resolve OPA's tz operand ("" / "UTC" / "Local" / IANA name); throws on unknown zones. */
export function loadZone(name: string): Zone {
  if (name === '' || name === 'UTC') return UTC;
  if (name === 'Local') {
    const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
    return local && local !== 'UTC' && local !== 'Etc/UTC' ? { iana: local } : UTC;
  }
  try {
    formatterFor(name);
  } catch {
    throw new GoTimeError(`unknown time zone ${name}`);
  }
  return { iana: name };
}

/** Offset (seconds east of UTC) and abbreviation of `zone` at Unix second `sec`. */
export function zoneAt(zone: Zone, sec: bigint): { offset: number; name: string } {
  if (zone.iana === undefined) return { offset: zone.fixedOffset ?? 0, name: zone.fixedName ?? '' };
  const ms = Number(sec) * 1000;
  const parts = formatterFor(zone.iana).formatToParts(new Date(ms));
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  let year = Number(get('year'));
  if (get('era').startsWith('B')) year = 1 - year;
  const local =
    daysFromCivil(year, Number(get('month')), Number(get('day'))) * 86400 +
    Number(get('hour')) * 3600 +
    Number(get('minute')) * 60 +
    Number(get('second'));
  const offset = local - Math.floor(ms / 1000);
  let name = get('timeZoneName');
  if (/^GMT[+-]/.test(name) || (name === 'GMT' && offset !== 0)) name = abbreviation(zone.iana, offset, ms);
  return { offset, name };
}

/** ICU only abbreviates a zone in some locales (IST in en-IN, CET in en-GB, JST in ja-JP...). */
const ABBREVIATION_LOCALES = ['en-GB', 'en-AU', 'en-IN', 'en-ZA', 'en-CA', 'ja-JP-u-ca-gregory'];
const abbreviations = new Map<string, string>();

function abbreviation(iana: string, offset: number, ms: number): string {
  const key = `${iana}|${offset}`;
  const hit = abbreviations.get(key);
  if (hit !== undefined) return hit;
  let name = offsetName(offset);
  for (const locale of ABBREVIATION_LOCALES) {
    const part = new Intl.DateTimeFormat(locale, { timeZone: iana, timeZoneName: 'short' })
      .formatToParts(new Date(ms))
      .find((p) => p.type === 'timeZoneName')?.value;
    if (part && /^[A-Z]{2,5}$/.test(part) && part !== 'GMT' && part !== 'UTC') {
      name = part;
      break;
    }
  }
  if (abbreviations.size > 500) abbreviations.clear();
  abbreviations.set(key, name);
  return name;
}

function offsetName(offset: number): string {
  // Go prints a zone without abbreviation as e.g. "+0530" / "-07".
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  const h = Math.floor(a / 3600);
  const m = Math.floor((a % 3600) / 60);
  return m ? `${sign}${pad(h, 2)}${pad(m, 2)}` : `${sign}${pad(h, 2)}`;
}

// ---------------------------------------------------------------- civil view

export interface Civil {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanos: number;
  weekday: number; // 0 = Sunday
  yday: number; // 1-based
  offset: number;
  zoneName: string;
}

export function toCivil(ns: bigint, zone: Zone): Civil {
  const sec = floorDiv(ns, NS_PER_SEC);
  const nanos = Number(ns - sec * NS_PER_SEC);
  const { offset, name } = zoneAt(zone, sec);
  const local = sec + BigInt(offset);
  const days = Number(floorDiv(local, 86400n));
  const sod = Number(local - BigInt(days) * 86400n);
  const [year, month, day] = civilFromDays(days);
  return {
    year,
    month,
    day,
    hour: Math.floor(sod / 3600),
    minute: Math.floor((sod % 3600) / 60),
    second: sod % 60,
    nanos,
    weekday: (((days + 4) % 7) + 7) % 7,
    yday: days - daysFromCivil(year, 1, 1) + 1,
    offset,
    zoneName: name,
  };
}

/** Go's time.Date(...) in `zone`: fields may be out of range and are normalised. */
export function fromCivil(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  nanos: number,
  zone: Zone,
): bigint {
  const localSec =
    BigInt(daysFromCivil(year, month, day)) * 86400n + BigInt(hour) * 3600n + BigInt(minute) * 60n + BigInt(second);
  const localNs = localSec * NS_PER_SEC + BigInt(nanos);
  if (zone.iana === undefined) return localNs - BigInt(zone.fixedOffset ?? 0) * NS_PER_SEC;
  // Like Go: use the offset in effect at (local - offset), trying both candidate offsets.
  const guess = zoneAt(zone, localSec).offset;
  const sec1 = localSec - BigInt(guess);
  const off1 = zoneAt(zone, sec1).offset;
  if (off1 === guess) return localNs - BigInt(guess) * NS_PER_SEC;
  const sec2 = localSec - BigInt(off1);
  const off2 = zoneAt(zone, sec2).offset;
  return localNs - BigInt(off2 === off1 ? off1 : guess) * NS_PER_SEC;
}

// ---------------------------------------------------------------- layouts

type Std =
  | 'LongMonth' | 'Month' | 'NumMonth' | 'ZeroMonth'
  | 'LongWeekDay' | 'WeekDay'
  | 'Day' | 'UnderDay' | 'ZeroDay' | 'UnderYearDay' | 'ZeroYearDay'
  | 'Hour' | 'Hour12' | 'ZeroHour12' | 'Minute' | 'ZeroMinute' | 'Second' | 'ZeroSecond'
  | 'LongYear' | 'Year' | 'PM' | 'pm' | 'TZ'
  | 'ISO8601TZ' | 'ISO8601SecondsTZ' | 'ISO8601ShortTZ' | 'ISO8601ColonTZ' | 'ISO8601ColonSecondsTZ'
  | 'NumTZ' | 'NumSecondsTz' | 'NumShortTZ' | 'NumColonTZ' | 'NumColonSecondsTZ'
  | 'FracSecond0' | 'FracSecond9';

interface Chunk {
  prefix: string;
  std?: Std;
  /** Digits for fractional seconds. */
  digits?: number;
  /** Separator of fractional seconds ('.' or ','). */
  sep?: string;
}

const isDigitAt = (s: string, i: number): boolean => i < s.length && s[i]! >= '0' && s[i]! <= '9';

/** Split a Go layout into literal prefixes and std elements (Go's nextStdChunk). */
export function layoutChunks(layout: string): Chunk[] {
  const chunks: Chunk[] = [];
  let rest = layout;
  outer: while (rest.length) {
    for (let i = 0; i < rest.length; i++) {
      const s = rest.slice(i);
      const emit = (std: Std, len: number, extra: Partial<Chunk> = {}): void => {
        chunks.push({ prefix: rest.slice(0, i), std, ...extra });
        rest = s.slice(len);
      };
      const c = rest[i];
      switch (c) {
        case 'J':
          if (s.startsWith('January')) { emit('LongMonth', 7); continue outer; }
          if (s.startsWith('Jan')) { emit('Month', 3); continue outer; }
          break;
        case 'M':
          if (s.startsWith('Monday')) { emit('LongWeekDay', 6); continue outer; }
          if (s.startsWith('Mon')) { emit('WeekDay', 3); continue outer; }
          if (s.startsWith('MST')) { emit('TZ', 3); continue outer; }
          break;
        case '0': {
          const n = s[1];
          if (n !== undefined && n >= '1' && n <= '6') {
            const std: Std[] = ['ZeroMonth', 'ZeroDay', 'ZeroHour12', 'ZeroMinute', 'ZeroSecond', 'Year'];
            emit(std[Number(n) - 1]!, 2);
            continue outer;
          }
          if (s.startsWith('002')) { emit('ZeroYearDay', 3); continue outer; }
          break;
        }
        case '1':
          if (s.startsWith('15')) { emit('Hour', 2); continue outer; }
          emit('NumMonth', 1);
          continue outer;
        case '2':
          if (s.startsWith('2006')) { emit('LongYear', 4); continue outer; }
          emit('Day', 1);
          continue outer;
        case '_':
          if (s.startsWith('_2')) {
            if (s.startsWith('_2006')) {
              chunks.push({ prefix: rest.slice(0, i + 1), std: 'LongYear' });
              rest = s.slice(5);
              continue outer;
            }
            emit('UnderDay', 2);
            continue outer;
          }
          if (s.startsWith('__2')) { emit('UnderYearDay', 3); continue outer; }
          break;
        case '3': emit('Hour12', 1); continue outer;
        case '4': emit('Minute', 1); continue outer;
        case '5': emit('Second', 1); continue outer;
        case 'P':
          if (s.startsWith('PM')) { emit('PM', 2); continue outer; }
          break;
        case 'p':
          if (s.startsWith('pm')) { emit('pm', 2); continue outer; }
          break;
        case '-':
          if (s.startsWith('-070000')) { emit('NumSecondsTz', 7); continue outer; }
          if (s.startsWith('-07:00:00')) { emit('NumColonSecondsTZ', 9); continue outer; }
          if (s.startsWith('-0700')) { emit('NumTZ', 5); continue outer; }
          if (s.startsWith('-07:00')) { emit('NumColonTZ', 6); continue outer; }
          if (s.startsWith('-07')) { emit('NumShortTZ', 3); continue outer; }
          break;
        case 'Z':
          if (s.startsWith('Z070000')) { emit('ISO8601SecondsTZ', 7); continue outer; }
          if (s.startsWith('Z07:00:00')) { emit('ISO8601ColonSecondsTZ', 9); continue outer; }
          if (s.startsWith('Z0700')) { emit('ISO8601TZ', 5); continue outer; }
          if (s.startsWith('Z07:00')) { emit('ISO8601ColonTZ', 6); continue outer; }
          if (s.startsWith('Z07')) { emit('ISO8601ShortTZ', 3); continue outer; }
          break;
        case '.':
        case ',': {
          const ch = s[1];
          if (ch === '0' || ch === '9') {
            let j = 1;
            while (s[j] === ch) j++;
            if (!isDigitAt(s, j)) {
              emit(ch === '0' ? 'FracSecond0' : 'FracSecond9', j, { digits: j - 1, sep: c });
              continue outer;
            }
          }
          break;
        }
        default:
          break;
      }
    }
    chunks.push({ prefix: rest });
    rest = '';
  }
  return chunks;
}

function pad(n: number, width: number, ch = '0'): string {
  const s = String(Math.abs(n));
  return (n < 0 ? '-' : '') + (s.length >= width ? s : ch.repeat(width - s.length) + s);
}

/** Go's Time.Format. */
export function formatTime(ns: bigint, zone: Zone, layout: string): string {
  const t = toCivil(ns, zone);
  let out = '';
  for (const ch of layoutChunks(layout)) {
    out += ch.prefix;
    switch (ch.std) {
      case undefined: break;
      case 'Year': out += pad(((t.year % 100) + 100) % 100, 2); break;
      case 'LongYear': out += pad(t.year, 4); break;
      case 'Month': out += LONG_MONTHS[t.month - 1]!.slice(0, 3); break;
      case 'LongMonth': out += LONG_MONTHS[t.month - 1]!; break;
      case 'NumMonth': out += String(t.month); break;
      case 'ZeroMonth': out += pad(t.month, 2); break;
      case 'WeekDay': out += LONG_DAYS[t.weekday]!.slice(0, 3); break;
      case 'LongWeekDay': out += LONG_DAYS[t.weekday]!; break;
      case 'Day': out += String(t.day); break;
      case 'UnderDay': out += pad(t.day, 2, ' '); break;
      case 'ZeroDay': out += pad(t.day, 2); break;
      case 'UnderYearDay': out += pad(t.yday, 3, ' '); break;
      case 'ZeroYearDay': out += pad(t.yday, 3); break;
      case 'Hour': out += pad(t.hour, 2); break;
      case 'Hour12': out += String(t.hour % 12 === 0 ? 12 : t.hour % 12); break;
      case 'ZeroHour12': out += pad(t.hour % 12 === 0 ? 12 : t.hour % 12, 2); break;
      case 'Minute': out += String(t.minute); break;
      case 'ZeroMinute': out += pad(t.minute, 2); break;
      case 'Second': out += String(t.second); break;
      case 'ZeroSecond': out += pad(t.second, 2); break;
      case 'PM': out += t.hour >= 12 ? 'PM' : 'AM'; break;
      case 'pm': out += t.hour >= 12 ? 'pm' : 'am'; break;
      case 'TZ':
        out += t.zoneName !== '' ? t.zoneName : formatOffset(t.offset, 'NumTZ');
        break;
      case 'FracSecond0': {
        const digits = pad(t.nanos, 9).slice(0, ch.digits ?? 0);
        out += (ch.sep ?? '.') + digits;
        break;
      }
      case 'FracSecond9': {
        const digits = pad(t.nanos, 9).slice(0, ch.digits ?? 0).replace(/0+$/, '');
        if (digits) out += (ch.sep ?? '.') + digits;
        break;
      }
      default:
        out += formatOffset(t.offset, ch.std);
    }
  }
  return out;
}

function formatOffset(offset: number, std: Std): string {
  if (std.startsWith('ISO8601') && offset === 0) return 'Z';
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  const hh = pad(Math.floor(a / 3600), 2);
  const mm = pad(Math.floor((a % 3600) / 60), 2);
  const ss = pad(a % 60, 2);
  switch (std) {
    case 'ISO8601ShortTZ':
    case 'NumShortTZ':
      return sign + hh;
    case 'ISO8601ColonTZ':
    case 'NumColonTZ':
      return `${sign}${hh}:${mm}`;
    case 'ISO8601SecondsTZ':
    case 'NumSecondsTz':
      return sign + hh + mm + ss;
    case 'ISO8601ColonSecondsTZ':
    case 'NumColonSecondsTZ':
      return `${sign}${hh}:${mm}:${ss}`;
    default:
      return sign + hh + mm;
  }
}

// ---------------------------------------------------------------- parsing

function lookupName(value: string, names: string[], len?: number): [number, string] {
  for (let i = 0; i < names.length; i++) {
    const n = len ? names[i]!.slice(0, len) : names[i]!;
    if (value.length >= n.length && value.slice(0, n.length).toLowerCase() === n.toLowerCase()) return [i, value.slice(n.length)];
  }
  throw new GoTimeError('bad value for field');
}

function getNum(value: string, fixed: boolean): [number, string] {
  if (!isDigitAt(value, 0)) throw new GoTimeError('bad value for field');
  if (!isDigitAt(value, 1)) {
    if (fixed) throw new GoTimeError('bad value for field');
    return [Number(value[0]), value.slice(1)];
  }
  return [Number(value.slice(0, 2)), value.slice(2)];
}

function getNum3(value: string, fixed: boolean): [number, string] {
  let i = 0;
  while (i < 3 && isDigitAt(value, i)) i++;
  if (i === 0 || (fixed && i !== 3)) throw new GoTimeError('bad value for field');
  return [Number(value.slice(0, i)), value.slice(i)];
}

function skipPrefix(value: string, prefix: string): string {
  let v = value;
  let p = prefix;
  while (p.length) {
    if (p[0] === ' ') {
      if (v.length && v[0] !== ' ') throw new GoTimeError('cannot parse');
      p = p.replace(/^ +/, '');
      v = v.replace(/^ +/, '');
      continue;
    }
    if (!v.length || v[0] !== p[0]) throw new GoTimeError(`cannot parse ${JSON.stringify(value)} as ${JSON.stringify(prefix)}`);
    v = v.slice(1);
    p = p.slice(1);
  }
  return v;
}

/** Go's time.Parse(layout, value) → Unix nanoseconds (exact). */
export function parseTime(layout: string, value: string): bigint {
  let v = value;
  let year = 0;
  let month = -1;
  let day = -1;
  let yday = -1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let nanos = 0;
  let pmSet = false;
  let amSet = false;
  let zoneOffset: number | undefined;
  let zoneName: string | undefined;
  const chunks = layoutChunks(layout);
  for (let ci = 0; ci < chunks.length; ci++) {
    const ch = chunks[ci]!;
    v = skipPrefix(v, ch.prefix);
    if (!ch.std) {
      if (ci === chunks.length - 1 && v.length) throw new GoTimeError(`extra text: ${JSON.stringify(v)}`);
      continue;
    }
    const hold = v;
    switch (ch.std) {
      case 'Year': {
        if (v.length < 2 || !isDigitAt(v, 0) || !isDigitAt(v, 1)) throw new GoTimeError('bad year');
        const y = Number(v.slice(0, 2));
        year = y >= 69 ? y + 1900 : y + 2000;
        v = v.slice(2);
        break;
      }
      case 'LongYear':
        if (v.length < 4 || ![0, 1, 2, 3].every((i) => isDigitAt(v, i))) throw new GoTimeError('bad year');
        year = Number(v.slice(0, 4));
        v = v.slice(4);
        break;
      case 'Month':
        [month, v] = lookupName(v, LONG_MONTHS, 3);
        month++;
        break;
      case 'LongMonth':
        [month, v] = lookupName(v, LONG_MONTHS);
        month++;
        break;
      case 'NumMonth':
      case 'ZeroMonth':
        [month, v] = getNum(v, ch.std === 'ZeroMonth');
        if (month <= 0 || month > 12) throw new GoTimeError('month out of range');
        break;
      case 'WeekDay':
        [, v] = lookupName(v, LONG_DAYS, 3);
        break;
      case 'LongWeekDay':
        [, v] = lookupName(v, LONG_DAYS);
        break;
      case 'Day':
      case 'UnderDay':
      case 'ZeroDay':
        if (ch.std === 'UnderDay' && v[0] === ' ') v = v.slice(1);
        [day, v] = getNum(v, ch.std === 'ZeroDay');
        break;
      case 'UnderYearDay':
      case 'ZeroYearDay':
        for (let i = 0; i < 2 && ch.std === 'UnderYearDay' && v[0] === ' '; i++) v = v.slice(1);
        [yday, v] = getNum3(v, ch.std === 'ZeroYearDay');
        if (yday < 1 || yday > 366) throw new GoTimeError('day-of-year out of range');
        break;
      case 'Hour':
        [hour, v] = getNum(v, false);
        if (hour < 0 || hour >= 24) throw new GoTimeError('hour out of range');
        break;
      case 'Hour12':
      case 'ZeroHour12':
        [hour, v] = getNum(v, ch.std === 'ZeroHour12');
        if (hour < 0 || hour > 12) throw new GoTimeError('hour out of range');
        break;
      case 'Minute':
      case 'ZeroMinute':
        [minute, v] = getNum(v, ch.std === 'ZeroMinute');
        if (minute < 0 || minute >= 60) throw new GoTimeError('minute out of range');
        break;
      case 'Second':
      case 'ZeroSecond': {
        [second, v] = getNum(v, ch.std === 'ZeroSecond');
        if (second < 0 || second >= 60) throw new GoTimeError('second out of range');
        const nextStd = chunks[ci + 1];
        // Go accepts fractional seconds after a seconds field even if the layout lacks them.
        if (v.length >= 2 && (v[0] === '.' || v[0] === ',') && isDigitAt(v, 1)) {
          if (nextStd && nextStd.prefix === '' && (nextStd.std === 'FracSecond0' || nextStd.std === 'FracSecond9')) break;
          let n = 1;
          while (isDigitAt(v, n)) n++;
          nanos = parseNanos(v.slice(1, n));
          v = v.slice(n);
        }
        break;
      }
      case 'PM':
        if (v.startsWith('PM')) pmSet = true;
        else if (v.startsWith('AM')) amSet = true;
        else throw new GoTimeError('bad PM');
        v = v.slice(2);
        break;
      case 'pm':
        if (v.startsWith('pm')) pmSet = true;
        else if (v.startsWith('am')) amSet = true;
        else throw new GoTimeError('bad pm');
        v = v.slice(2);
        break;
      case 'TZ': {
        if (v.startsWith('UTC')) {
          zoneName = 'UTC';
          zoneOffset = zoneOffset ?? 0;
          v = v.slice(3);
          break;
        }
        const abbr = /^(?:GMT([+-]\d{1,2})?|[A-Z][A-Za-z]{2,4})/.exec(v);
        if (!abbr) throw new GoTimeError('bad time zone');
        zoneName = abbr[0];
        if (abbr[1]) zoneOffset = Number(abbr[1]) * 3600;
        v = v.slice(abbr[0].length);
        break;
      }
      case 'FracSecond0': {
        const n = 1 + (ch.digits ?? 0);
        if (v.length < n || (v[0] !== '.' && v[0] !== ',')) throw new GoTimeError('bad fractional second');
        for (let i = 1; i < n; i++) if (!isDigitAt(v, i)) throw new GoTimeError('bad fractional second');
        nanos = parseNanos(v.slice(1, n));
        v = v.slice(n);
        break;
      }
      case 'FracSecond9': {
        if (v.length < 2 || (v[0] !== '.' && v[0] !== ',') || !isDigitAt(v, 1)) break;
        let i = 1;
        while (i < 10 && isDigitAt(v, i)) i++;
        nanos = parseNanos(v.slice(1, i));
        v = v.slice(i);
        break;
      }
      default: {
        // numeric zones
        if (ch.std.startsWith('ISO8601') && v[0] === 'Z') {
          v = v.slice(1);
          zoneOffset = 0;
          zoneName = 'UTC';
          break;
        }
        const shapes: Record<string, RegExp> = {
          NumShortTZ: /^([+-])(\d\d)/, ISO8601ShortTZ: /^([+-])(\d\d)/,
          NumTZ: /^([+-])(\d\d)(\d\d)/, ISO8601TZ: /^([+-])(\d\d)(\d\d)/,
          NumColonTZ: /^([+-])(\d\d):(\d\d)/, ISO8601ColonTZ: /^([+-])(\d\d):(\d\d)/,
          NumSecondsTz: /^([+-])(\d\d)(\d\d)(\d\d)/, ISO8601SecondsTZ: /^([+-])(\d\d)(\d\d)(\d\d)/,
          NumColonSecondsTZ: /^([+-])(\d\d):(\d\d):(\d\d)/, ISO8601ColonSecondsTZ: /^([+-])(\d\d):(\d\d):(\d\d)/,
        };
        const m = shapes[ch.std]?.exec(v);
        if (!m) throw new GoTimeError('bad time zone offset');
        const hh = Number(m[2]);
        const mm = Number(m[3] ?? 0);
        const ss = Number(m[4] ?? 0);
        if (hh > 24 || mm > 60 || ss > 60) throw new GoTimeError('time zone offset out of range');
        zoneOffset = (hh * 3600 + mm * 60 + ss) * (m[1] === '-' ? -1 : 1);
        v = v.slice(m[0].length);
      }
    }
    if (v === hold && ch.std !== 'FracSecond9') throw new GoTimeError('cannot parse');
  }
  if (v.length) throw new GoTimeError(`extra text: ${JSON.stringify(v)}`);
  if (pmSet && hour < 12) hour += 12;
  else if (amSet && hour === 12) hour = 0;
  if (yday >= 0) {
    let m = 0;
    let d = 0;
    if (isLeap(year)) {
      if (yday === 31 + 29) { m = 2; d = 29; } else if (yday > 31 + 29) yday--;
    }
    if (m === 0) {
      if (yday > 365) throw new GoTimeError('day-of-year out of range');
      m = 1;
      let rem = yday;
      while (rem > daysIn(m, 2001)) { rem -= daysIn(m, 2001); m++; }
      d = rem;
    }
    if ((month >= 0 && month !== m) || (day >= 0 && day !== d)) throw new GoTimeError('day-of-year does not match');
    month = m;
    day = d;
  } else {
    if (month < 0) month = 1;
    if (day < 0) day = 1;
  }
  if (day < 1 || day > daysIn(month, year)) throw new GoTimeError('day out of range');
  const zone: Zone = { fixedOffset: zoneOffset ?? 0, fixedName: zoneName ?? '' };
  return fromCivil(year, month, day, hour, minute, second, nanos, zone);
}

function parseNanos(digits: string): number {
  return Number((digits + '000000000').slice(0, 9));
}

// ---------------------------------------------------------------- durations

const UNIT_NS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1000n,
  'µs': 1000n,
  'μs': 1000n,
  ms: 1_000_000n,
  s: NS_PER_SEC,
  m: 60n * NS_PER_SEC,
  h: 3600n * NS_PER_SEC,
};

/** Go's time.ParseDuration → nanoseconds (exact, int64 range). */
export function parseDuration(input: string): bigint {
  let s = input;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw new GoTimeError(`invalid duration ${JSON.stringify(input)}`);
  let total = 0n;
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s);
    const whole = m?.[1] ?? '';
    const frac = m?.[2];
    if (whole === '' && (frac === undefined || frac === '')) throw new GoTimeError(`invalid duration ${JSON.stringify(input)}`);
    s = s.slice(m?.[0].length ?? 0);
    const u = /^[^\d.]+/.exec(s);
    if (!u) throw new GoTimeError(`missing unit in duration ${JSON.stringify(input)}`);
    const unit = UNIT_NS[u[0]];
    if (unit === undefined) throw new GoTimeError(`unknown unit ${JSON.stringify(u[0])} in duration ${JSON.stringify(input)}`);
    s = s.slice(u[0].length);
    if (whole.length > 30) throw new GoTimeError(`invalid duration ${JSON.stringify(input)}`);
    let v = BigInt(whole || '0') * unit;
    if (frac) {
      const f = frac.slice(0, 30);
      v += (BigInt(f) * unit) / 10n ** BigInt(f.length);
    }
    total += v;
    if (total > MAX_NS + (neg ? 1n : 0n)) throw new GoTimeError(`invalid duration ${JSON.stringify(input)}`);
  }
  return neg ? -total : total;
}
