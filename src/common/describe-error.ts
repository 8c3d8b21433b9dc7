/**
 * A readable line for an error of any transport: an Error, a string, a handler's
 * `{ status: 'error', message }`, a system error object (`connect ECONNREFUSED 127.0.0.1:5002`),
 * or a broker's error object.
 */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  if (typeof error !== 'object' || error === null) return String(error);
  const { message, code, syscall, address, port } = error as Record<string, unknown>;
  if (typeof message === 'string') return message;
  if (typeof code === 'string') {
    const at = typeof port === 'number' || typeof port === 'string' ? `:${port}` : '';
    const where = typeof address === 'string' ? ` ${address}${at}` : '';
    return `${typeof syscall === 'string' ? `${syscall} ` : ''}${code}${where}`;
  }
  return JSON.stringify(error);
}
