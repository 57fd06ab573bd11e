/**
 * Event-name patterns used by subscriptions.
 *
 * @packageDocumentation
 */

/**
 * What a subscription listens to.
 *
 * - A string without `*` matches that exact event name (case-sensitive).
 * - In a string, each `*` matches any run of characters, including none;
 *   every other character is literal. Event names are camel case
 *   (`orderCreated`), so there are no segments: `order*` matches
 *   `orderCreated` and `orderDeleted`, `*Created` matches every create,
 *   `*` matches every event. There is no escape for a literal `*`.
 * - A RegExp is tested against the whole event name as written (anchor it
 *   yourself); its `g` and `y` flags are ignored.
 */
export type EventPattern = string | RegExp;

/** A pattern prepared for repeated matching. */
export interface CompiledPattern {
  /** The pattern as listed by the API: the string itself, or the RegExp's `/source/flags`. */
  readonly source: string;
  readonly matches: (eventName: string) => boolean;
}

const REGEX_SPECIALS = /[.+?^${}()|[\]\\]/g;

/**
 * Compiles a pattern once at subscribe time, so publishing only runs tests.
 *
 * @throws TypeError if the pattern is an empty string or neither a string nor a RegExp.
 */
export function compilePattern(pattern: EventPattern): CompiledPattern {
  if (pattern instanceof RegExp) {
    // A g/y RegExp keeps lastIndex between test() calls and would then skip
    // matches; a copy without those flags is stateless.
    const regex = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
    return { source: String(pattern), matches: (name) => regex.test(name) };
  }
  if (typeof pattern !== 'string' || pattern.length === 0) {
    throw new TypeError('event pattern must be a non-empty string or a RegExp');
  }
  if (!pattern.includes('*')) {
    return { source: pattern, matches: (name) => name === pattern };
  }
  const body = pattern
    .split('*')
    .map((part) => part.replace(REGEX_SPECIALS, '\\$&'))
    .join('[\\s\\S]*');
  const regex = new RegExp(`^${body}$`);
  return { source: pattern, matches: (name) => regex.test(name) };
}
