/** Something a suite opened, to close in its afterAll; undefined when it was never opened. */
export type Closer = (() => unknown) | undefined;

/**
 * Closes each in turn, all of them even when one throws or was never opened (a beforeAll that
 * failed half-way), then throws what failed. A suite that stops at its first failing close leaves
 * the rest open, and Jest waits for them.
 */
export async function closeAll(...closers: Closer[]): Promise<void> {
  const failures: unknown[] = [];
  for (const close of closers) {
    try {
      await close?.();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, 'some things did not close');
}
