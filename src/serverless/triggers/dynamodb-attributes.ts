/**
 * DynamoDB's typed attribute values (`{ "N": "42" }`, `{ "M": { ... } }`), as a
 * stream record's `Keys`, `NewImage` and `OldImage` carry them, turned into plain
 * JSON for an event's data:
 *
 * - `S` → string, `BOOL` → boolean, `NULL` → null, `M` → object, `L` → array.
 * - `N` → a number when no digit is lost: at most 15 significant digits (any such
 *   decimal survives a double), or an integer within ±(2^53 − 1). Any other number
 *   (DynamoDB keeps 38 digits) stays the string DynamoDB sent.
 * - `B` → the base64 text of the bytes, as the event carries it.
 * - `SS`, `NS`, `BS` → arrays of the converted members.
 *
 * A value of any other shape throws {@link AttributeValueError} naming where it is.
 */

/** A typed attribute value that is not one DynamoDB writes: the record cannot be read. */
export class AttributeValueError extends Error {
  constructor(at: string, problem: string) {
    super(`${at}: ${problem}`);
    this.name = 'AttributeValueError';
  }
}

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);

const TYPES = 'S, N, B, BOOL, NULL, M, L, SS, NS or BS';
const NUMBER = /^[+-]?(\d+)(?:\.(\d+))?([eE][+-]?\d+)?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Decimals of this many significant digits or fewer are read back from a double unchanged. */
const EXACT_DIGITS = 15;

/** An item (`Keys`, `NewImage`, `OldImage`): attribute name → typed value. `at` names it in errors. */
export function plainItem(item: unknown, at: string): Fields {
  if (!isObject(item)) throw new AttributeValueError(at, 'expected a map of attribute names to typed values');
  // fromEntries defines each name as an own property: an attribute named __proto__ stays data.
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, plainValue(value, `${at}.${name}`)]));
}

/** One typed attribute value as plain JSON. */
export function plainValue(value: unknown, at: string): unknown {
  const entries = isObject(value) ? Object.entries(value) : [];
  if (entries.length !== 1) throw new AttributeValueError(at, `expected one of ${TYPES} as the only key, got ${describe(value)}`);
  const [type, given] = entries[0] as [string, unknown];
  switch (type) {
    case 'S':
      return stringOf(given, at, type);
    case 'N':
      return numberOf(given, at);
    case 'B':
      return base64Of(given, at);
    case 'BOOL':
      if (typeof given !== 'boolean') throw new AttributeValueError(at, `BOOL must be true or false, got ${describe(given)}`);
      return given;
    case 'NULL':
      if (given !== true) throw new AttributeValueError(at, `NULL must be true, got ${describe(given)}`);
      return null;
    case 'M':
      return plainItem(given, at);
    case 'L':
      return listOf(given, at, type).map((member, index) => plainValue(member, `${at}[${index}]`));
    case 'SS':
      return listOf(given, at, type).map((member, index) => stringOf(member, `${at}[${index}]`, type));
    case 'NS':
      return listOf(given, at, type).map((member, index) => numberOf(member, `${at}[${index}]`));
    case 'BS':
      return listOf(given, at, type).map((member, index) => base64Of(member, `${at}[${index}]`));
    default:
      throw new AttributeValueError(at, `unknown type ${JSON.stringify(type)} (expected ${TYPES})`);
  }
}

function stringOf(value: unknown, at: string, type: string): string {
  if (typeof value !== 'string') throw new AttributeValueError(at, `${type} must hold text, got ${describe(value)}`);
  return value;
}

function listOf(value: unknown, at: string, type: string): unknown[] {
  if (!Array.isArray(value)) throw new AttributeValueError(at, `${type} must hold an array, got ${describe(value)}`);
  return value;
}

function numberOf(value: unknown, at: string): number | string {
  const match = typeof value === 'string' ? NUMBER.exec(value) : null;
  if (typeof value !== 'string' || !match) throw new AttributeValueError(at, `N must hold a number as text, got ${describe(value)}`);
  const number = Number(value);
  const significant = `${match[1]}${match[2] ?? ''}`.replace(/^0+/, '').replace(/0+$/, '');
  const integer = match[2] === undefined && match[3] === undefined;
  const exact = Number.isFinite(number) && (significant.length <= EXACT_DIGITS || (integer && Number.isSafeInteger(number)));
  return exact ? number : value;
}

function base64Of(value: unknown, at: string): string {
  if (typeof value !== 'string' || !BASE64.test(value)) throw new AttributeValueError(at, `B must hold base64 text, got ${describe(value)}`);
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
