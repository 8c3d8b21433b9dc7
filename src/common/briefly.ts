/**
 * One line of at most `max` characters describing `value` (an Error, a string, anything): for
 * logging what a remote peer caused, which may be as long as whatever it chose to send.
 */
export function briefly(value: unknown, max = 200): string {
  const text =
    value instanceof Error
      ? `${value.constructor.name}: ${value.message}`
      : typeof value === 'string'
        ? value
        : safeJson(value);
  // Cut before anything else: the text may be megabytes long.
  const line = text.slice(0, max).replace(/\s+/g, ' ');
  return text.length > max ? `${line}… (${text.length} characters)` : line;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
