import { createReadStream } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * A run's JSON Lines file, opened for appending. Opening an existing file (a saver that restarted,
 * a late duplicate after the run was forgotten) counts its whole lines and cuts a torn last line, so
 * the file keeps "line N holds seq N".
 */
export class RunFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    /** Whole lines the file held when opened. */
    readonly linesAtOpen: number,
  ) {}

  static async open(path: string): Promise<RunFile> {
    await mkdir(dirname(path), { recursive: true });
    const { lines, wholeBytes } = await countWholeLines(path);
    const handle = await open(path, 'a');
    const { size } = await handle.stat();
    if (size > wholeBytes) await handle.truncate(wholeBytes);
    return new RunFile(path, handle, lines);
  }

  /** Appends whole lines; resolves once the OS has them. */
  async append(text: string): Promise<void> {
    await this.handle.appendFile(text, 'utf8');
  }

  /** Flushes to the disk and closes. */
  async close(): Promise<void> {
    await this.handle.sync();
    await this.handle.close();
  }
}

async function countWholeLines(path: string): Promise<{ lines: number; wholeBytes: number }> {
  let lines = 0;
  let offset = 0;
  let wholeBytes = 0;
  try {
    for await (const chunk of createReadStream(path)) {
      const bytes = chunk as Buffer;
      for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) {
        lines++;
        wholeBytes = offset + at + 1;
      }
      offset += bytes.length;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return { lines, wholeBytes };
}
