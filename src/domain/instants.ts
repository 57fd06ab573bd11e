/**
 * Date-time text read as an instant, the one way every datasource reads it: a
 * range condition on a date field compares instants, so `2024-05-01T12:00:00+02:00`
 * comes before `2024-05-01T11:00:00Z` although it sorts after it as text.
 *
 * The accepted text is an ISO 8601 / RFC 3339 date with an optional time and
 * offset: `YYYY-MM-DD`, then `T` (or `t` or a space) and `HH:MM`, `:SS` and a
 * fraction optional, then `Z`, `±HH`, `±HHMM` or `±HH:MM` optional. Without an
 * offset the time is UTC (never the server's zone). Years run from 1000 to 9999;
 * digits beyond milliseconds are ignored; out-of-range parts carry over
 * (`2024-01-32` is February 1st), as MongoDB's `$dateFromParts` does, so the
 * MongoDB datasource can compute the same instant with the same pattern.
 */

/**
 * The pattern, with its groups in this order: year, month, day, hour, minute,
 * second, the three millisecond digits (each optional), offset sign, offset hours,
 * offset minutes. Written for both JavaScript and MongoDB's PCRE.
 */
export const INSTANT_PATTERN =
  '^([1-9][0-9]{3})-([0-9]{2})-([0-9]{2})(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.]([0-9])([0-9])?([0-9])?[0-9]*)?)?)?(?:[Zz]|([+-])([0-9]{2})(?::?([0-9]{2}))?)?$';

const INSTANT = new RegExp(INSTANT_PATTERN);

const part = (text: string | undefined): number => (text === undefined ? 0 : Number(text));

/** Milliseconds since the epoch of date-time `text`, or undefined when `text` is not one (see the module comment). */
export function instantOf(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = INSTANT.exec(text);
  if (!m) return undefined;
  const millis = part(m[7]) * 100 + part(m[8]) * 10 + part(m[9]);
  const local = Date.UTC(part(m[1]), part(m[2]) - 1, part(m[3]), part(m[4]), part(m[5]), part(m[6]), millis);
  const offsetMinutes = (part(m[11]) * 60 + part(m[12])) * (m[10] === '-' ? -1 : 1);
  return local - offsetMinutes * 60_000;
}
