/**
 * What a log line never holds as itself: C0, DEL and C1 controls (U+0085 is a line break to
 * some tools), format characters (bidi overrides, zero-width), line and paragraph separators
 * (U+2028, U+2029), lone surrogates, private-use and unassigned code points. Printable
 * non-ASCII text stays.
 */
export const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]/gu;

/** `\x85` for a code point up to U+00FF, `\u202e` above, `\U0001fffe` beyond the BMP. */
export function escapeCharacter(character: string): string {
  const code = character.codePointAt(0)!;
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code <= 0xffff) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\U${code.toString(16).padStart(8, '0')}`;
}

/**
 * What `JSON.stringify` leaves raw but line-oriented tools read as a line break or a control:
 * DEL, the C1 controls (U+0085 among them), U+2028 and U+2029. (It already escapes C0 controls
 * and lone surrogates.)
 */
const JSON_RAW_BREAKS = /[\u007f-\u009f\u2028\u2029]/g;

/** JSON text with those characters as `\u` escapes: the same JSON value, one line for every tool. */
export function escapeJsonLineBreaks(json: string): string {
  return json.replace(JSON_RAW_BREAKS, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
