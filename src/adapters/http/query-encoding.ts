/**
 * Refuses a query string whose percent-encoding decodes to bytes that are not
 * UTF-8. URLSearchParams would quietly turn them into U+FFFD, so `?name=%ff`
 * would filter on a value the client never sent and answer an empty page;
 * bodies with invalid UTF-8 already get a 400, and so does this.
 */
import { MicrolibError } from '../../domain/errors.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes a `%XX`-encoded part stands for; a `%` not followed by two hex digits stays as it is. */
function percentDecoded(part: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < part.length; i++) {
    const char = part.charCodeAt(i);
    if (char === 0x25 /* % */ && i + 2 < part.length && /^[0-9A-Fa-f]{2}$/.test(part.slice(i + 1, i + 3))) {
      bytes.push(parseInt(part.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      // Node's parser only lets ASCII through in the request line.
      bytes.push(char & 0xff);
    }
  }
  return Uint8Array.from(bytes);
}

function isUtf8(part: string): boolean {
  try {
    strictUtf8.decode(percentDecoded(part));
    return true;
  } catch {
    return false;
  }
}

/** Throws MLB_ERR_VALIDATION naming the first parameter whose name or value is not UTF-8 once decoded. */
export function checkQueryEncoding(search: string): void {
  // The common query has no percent-encoding at all: nothing to decode.
  if (!search.includes('%')) return;
  for (const pair of search.split('&')) {
    if (!pair.includes('%')) continue;
    const equals = pair.indexOf('=');
    const name = equals === -1 ? pair : pair.slice(0, equals);
    const value = equals === -1 ? '' : pair.slice(equals + 1);
    if (!isUtf8(name)) throw new MicrolibError('MLB_ERR_VALIDATION', 'a query parameter name is not valid UTF-8 once percent-decoded', 'query');
    if (!isUtf8(value)) {
      const readable = new URLSearchParams(`${name}=`).keys().next().value ?? name;
      throw new MicrolibError('MLB_ERR_VALIDATION', `query parameter "${readable}" is not valid UTF-8 once percent-decoded`, readable);
    }
  }
}
