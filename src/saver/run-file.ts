import { createReadStream } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * A run's JSON Lines file, opened for appending. Opening an existing file (a saver that restarted,
 * a late duplicate after the run was forgotten) counts its whole lines and cuts a torn last line, so
 * the file keeps "line N holds seq N"; a write that fails half-way is cut back the same way.
 */
export class RunFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    /** Whole lines the file held when opened. */
    readonly linesAtOpen: number,
    /** Bytes of whole lines in the file. */
    private wholeBytes: number,
    private readonly shared: boolean,
  ) {}

  /**
   * `shared`: other savers may write this file too (`SAVER_FAILOVER`, one at a time), so each
   * append first checks that the file still ends where this one left it.
   */
  static async open(path: string, shared = false): Promise<RunFile> {
    await mkdir(dirname(path), { recursive: true });
    const { lines, wholeBytes } = await countWholeLines(path);
    const handle = await open(path, 'a');
    const { size } = await handle.stat();
    if (size > wholeBytes) await handle.truncate(wholeBytes);
    return new RunFile(path, handle, lines, wholeBytes, shared);
  }

  /**
   * Appends whole lines; resolves once the OS has them. On failure, no part of them stays. A
   * shared file that grew since this one's last append has another writer (a saver that took the
   * run over while this one was cut off): nothing is written, and `WrittenElsewhere` is thrown.
   */
  async append(text: string): Promise<void> {
    if (this.shared && (await this.handle.stat()).size !== this.wholeBytes)
      throw new WrittenElsewhere(this.path);
    try {
      await this.handle.appendFile(text, 'utf8');
    } catch (error) {
      await this.handle.truncate(this.wholeBytes).catch(() => undefined);
      throw error;
    }
    this.wholeBytes += Buffer.byteLength(text);
  }

  /** Flushes to the disk and closes; the handle is closed even when the flush fails. */
  async close(): Promise<void> {
    try {
      await this.handle.sync();
    } finally {
      await this.handle.close();
    }
  }
}

/** A shared run file another saver wrote to: this one's view of it is out of date. */
export class WrittenElsewhere extends Error {
  constructor(path: string) {
    super(
      `${path} was written by another saver; it is reopened from the file with its next result`,
    );
    this.name = WrittenElsewhere.name;
  }
}

/** Whether the file at `path` exists, its whole lines, and the bytes they take. */
export async function countWholeLines(
  path: string,
): Promise<{ exists: boolean; lines: number; wholeBytes: number }> {
  let exists = true;
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
    exists = false;
  }
  return { exists, lines, wholeBytes };
}
