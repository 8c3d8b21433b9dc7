import { checkRunFile, type ExpectedRun, type FileTimes } from '../harness/run-file.js';

export type { FileTimes } from '../harness/run-file.js';

/** Thrown when a run's file is not what the system promises: a benchmark of a wrong result is worthless. */
export class WrongFileError extends Error {
  override readonly name = 'WrongFileError';
}

/**
 * Streams the run's file through the harness's checker and throws unless it is exactly the run.
 * Answers the times of every line when `keepTimes` is set (for reorder-wait estimates).
 */
export async function verifyRunFile(
  path: string,
  run: ExpectedRun,
  keepTimes = false,
): Promise<FileTimes | undefined> {
  const { violations, times } = await checkRunFile(path, run, { keepTimes });
  if (violations.length > 0) throw new WrongFileError(`${path}:\n  ${violations.join('\n  ')}`);
  return times;
}
