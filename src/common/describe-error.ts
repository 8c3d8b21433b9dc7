/**
 * A readable line for an error of any transport: an Error, a string, a handler's
 * `{ status: 'error', message }`, or a broker's error object.
 */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message === 'string') return message;
  return JSON.stringify(error);
}
