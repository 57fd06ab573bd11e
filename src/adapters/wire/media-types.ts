/**
 * The wire formats of the generated API and how a request picks one: JSON
 * (the default) or MessagePack. The body's format comes from `Content-Type`,
 * the answer's from `Accept` (q-values; JSON wins a tie; `*\/*` or no header
 * is JSON; nothing acceptable is a 406).
 */

export type WireFormat = 'json' | 'msgpack';

export const JSON_MEDIA_TYPE = 'application/json';
export const MSGPACK_MEDIA_TYPE = 'application/msgpack';
/** The names MessagePack goes by: the registered one first, then two older ones clients still send. */
export const MSGPACK_MEDIA_TYPES: readonly string[] = [MSGPACK_MEDIA_TYPE, 'application/x-msgpack', 'application/vnd.msgpack'];
/** What the API answers in, for a 406's message. */
export const ANSWER_MEDIA_TYPES: readonly string[] = [JSON_MEDIA_TYPE, MSGPACK_MEDIA_TYPE];

const MSGPACK_CONTENT_TYPE = /^application\/(?:x-|vnd\.)?msgpack\s*(?:;|$)/i;
const MSGPACK_NAMES = new Set(MSGPACK_MEDIA_TYPES);

/** Whether a `Content-Type` names MessagePack (any of its names, parameters allowed). */
export function isMsgpackType(contentType: string): boolean {
  return MSGPACK_CONTENT_TYPE.test(contentType);
}

/** How specifically a media range names a type (3: exactly, 2: `application/*`, 1: `*\/*`, 0: not at all). */
function specificity(range: string, exact: (type: string) => boolean): number {
  if (exact(range)) return 3;
  if (range === 'application/*') return 2;
  return range === '*/*' ? 1 : 0;
}

const Q_VALUE = /^\s*q\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)\s*$/i;
const isJson = (type: string) => type === JSON_MEDIA_TYPE;
const isMsgpack = (type: string) => MSGPACK_NAMES.has(type);

/** Parses an Accept header (RFC 9110 §12.5.1): each format's q is that of the most specific range naming it. */
function parseAccept(accept: string): WireFormat | undefined {
  const best = { json: { at: 0, q: 0 }, msgpack: { at: 0, q: 0 } };
  for (const part of accept.split(',')) {
    const [rawRange = '', ...params] = part.split(';');
    const range = rawRange.trim().toLowerCase();
    if (range === '') continue;
    let q = 1;
    for (const param of params) {
      if (!/^\s*q\s*=/i.test(param)) continue;
      const m = Q_VALUE.exec(param);
      // A malformed weight makes the range unusable rather than the whole header.
      q = m ? Number(m[1]) : -1;
    }
    if (q < 0) continue;
    for (const [format, exact] of [['json', isJson], ['msgpack', isMsgpack]] as const) {
      const at = specificity(range, exact);
      const current = best[format];
      if (at > current.at || (at === current.at && at > 0 && q > current.q)) best[format] = { at, q };
    }
  }
  if (best.json.q > 0 && best.json.q >= best.msgpack.q) return 'json';
  return best.msgpack.q > 0 ? 'msgpack' : undefined;
}

/** Parsed headers: clients send the same few, so most requests cost a map lookup. */
const parsed = new Map<string, WireFormat | null>();
const PARSED_MAX = 64;

/**
 * The format of the answer to a request with this `Accept` header, or undefined
 * when neither format is acceptable (a 406). No header, `*\/*` and
 * `application/json` are JSON without parsing: the hot path stays as it was.
 */
export function answerFormat(accept: string | undefined): WireFormat | undefined {
  if (accept === undefined || accept === '*/*' || accept === JSON_MEDIA_TYPE) return 'json';
  const known = parsed.get(accept);
  if (known !== undefined) return known ?? undefined;
  const format = parseAccept(accept);
  // Bounded: a client sending ever new headers gets them parsed each time, nothing more.
  if (parsed.size < PARSED_MAX) parsed.set(accept, format ?? null);
  return format;
}
