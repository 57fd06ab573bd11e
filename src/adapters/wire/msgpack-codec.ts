/**
 * MessagePack bodies and answers (@msgpack/msgpack): bodies are checked by
 * msgpack-scan.ts first, then decoded with limits no larger than the body;
 * answers are encoded with 64-bit integers for BigInt values and without
 * undefined properties, as JSON.stringify leaves them out.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';
import { MicrolibError } from '../../domain/errors.js';
import { checkWireItems, checkWireValues } from '../../domain/field-serializers.js';
import type { FieldSpec } from '../../domain/model-spec.js';
import { scanMsgpack, type MsgpackTop } from './msgpack-scan.js';

/** A timestamp's payload is 4, 8 or 12 bytes; the decoder reads extension payloads as binary. */
const LARGEST_EXTENSION = 12;

const decoders = new Map<string, Decoder>();

/** The decoder for bodies of at most `limit` bytes: no string, array or map may be longer than the body. */
function decoderFor(limit: number, bigints: boolean): Decoder {
  const key = `${limit}:${bigints}`;
  let decoder = decoders.get(key);
  if (!decoder) {
    decoder = new Decoder({
      useBigInt64: bigints,
      maxStrLength: limit,
      maxArrayLength: limit,
      maxMapLength: limit,
      maxBinLength: LARGEST_EXTENSION,
      maxExtLength: LARGEST_EXTENSION,
    });
    // A handful of limits at most (the API's, the WebSocket's); never one per request.
    if (decoders.size < 16) decoders.set(key, decoder);
  }
  return decoder;
}

/**
 * Decodes a MessagePack body that must hold a map, with the checks of JSON
 * bodies (nesting at most `maxDepth`, no key reaching a prototype, valid UTF-8).
 * 64-bit integers beyond ±(2^53−1) become BigInt and timestamps Date, accepted
 * only where `fields` declares a `bigint` or `date` field (undefined: nowhere);
 * see checkWireValues in domain/field-serializers.ts.
 */
export function decodeMsgpackObject(bytes: Buffer, maxDepth: number, fields?: Record<string, FieldSpec>): Record<string, unknown> {
  return decodeMsgpackBody(bytes, maxDepth, fields, 'map') as Record<string, unknown>;
}

/**
 * As {@link decodeMsgpackObject}, for a body whose top may also (or only) be an
 * array: a batch, whose items are each a body `fields` describes.
 */
export function decodeMsgpackBody(bytes: Buffer, maxDepth: number, fields: Record<string, FieldSpec> | undefined, top: MsgpackTop): Record<string, unknown> | unknown[] {
  const found = scanMsgpack(bytes, maxDepth, top);
  let value: unknown;
  try {
    value = decoderFor(bytes.length, found.wideIntegers).decode(bytes);
  } catch (error) {
    // The scan accepted it, so this is a limit of the decoder's own.
    throw new MicrolibError('MLB_ERR_BAD_JSON', `request body is not accepted MessagePack: ${(error as Error).message}`);
  }
  if (Array.isArray(value)) {
    if (found.wideIntegers || found.timestamps) checkWireItems(value, fields);
    return value;
  }
  const body = value as Record<string, unknown>;
  if (found.wideIntegers || found.timestamps) checkWireValues(body, fields);
  return body;
}

const encoder = new Encoder({ useBigInt64: true, ignoreUndefined: true });

/** The MessagePack bytes of `value` (a copy: the encoder's buffer is reused). */
export function encodeMsgpack(value: unknown): Uint8Array {
  return encoder.encode(value);
}
