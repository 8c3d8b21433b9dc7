import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { describeError } from '../common/describe-error.js';

/**
 * Why the saver could not write run files into `dir`, or undefined if it can. Changes nothing:
 * the saver creates `dir` with its first run, so until then the nearest folder that exists must
 * let it.
 */
export async function outputDirProblem(dir: string): Promise<string | undefined> {
  let at = resolve(dir);
  for (;;) {
    try {
      if (!(await stat(at)).isDirectory()) return `${at} is not a folder`;
      await access(at, constants.W_OK);
      return undefined;
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      if (!missing || dirname(at) === at) return `OUTPUT_DIR ${dir}: ${describeError(error)}`;
      at = dirname(at);
    }
  }
}
