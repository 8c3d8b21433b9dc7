import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { header, HEADER_BYTES } from './journal-frames.js';

/** `fsync`: each group of records is on the device before its tasks leave; `write`: in the OS. */
export type JournalDurability = 'fsync' | 'write';

export interface JournalContent {
  /** Frames built when a group is written (the tasks runs took since the last one). */
  collect(): Buffer[];
  /** Every frame the journal must hold now, for a rewrite that drops what is no longer needed. */
  snapshot(): Buffer[];
}

interface Group {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function newGroup(): Group {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((ok, fail) => ((resolve = ok), (reject = fail)));
  // A group nobody waits for (a run's record) must not end the process when its write fails.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * The journal's file, append-only with group commit: records asked for while a write is under way
 * go out together in the next one, so a busy client makes one write (and one fdatasync) per turn,
 * not per task. A write that fails (ENOSPC) is cut back to the last whole group, so later groups
 * land on an intact file, and the group's waiters get the error. `compact` rewrites the file with
 * what is still needed, beside it, then renames it over (atomic on POSIX).
 */
export class JournalFile {
  private pending: Buffer[] = [];
  private group?: Group;
  private pumping = false;
  private compactWanted = false;
  private committed: number;
  private sizeAfterCompaction: number;
  private closed = false;

  private constructor(
    private readonly path: string,
    private handle: FileHandle,
    size: number,
    private readonly durability: JournalDurability,
    private readonly content: JournalContent,
  ) {
    this.committed = size;
    this.sizeAfterCompaction = size;
  }

  /** Writes a fresh file at `path` holding `frames` (the journal as replayed), and opens it. */
  static async create(
    path: string,
    frames: readonly Buffer[],
    durability: JournalDurability,
    content: JournalContent,
  ): Promise<JournalFile> {
    const size = await writeWhole(path, frames);
    return new JournalFile(path, await open(path, 'a'), size, durability, content);
  }

  /** Bytes on disk. */
  get size(): number {
    return this.committed;
  }

  /**
   * Settles once everything asked for until now (this frame, and the tasks `collect` will find)
   * is written; rejects with the write's error.
   */
  append(frame?: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the run journal is closed'));
    if (frame) this.pending.push(frame);
    this.group ??= newGroup();
    this.pump();
    return this.group.promise;
  }

  /** Rewrites the file with the snapshot once it has grown past twice its size after the last one. */
  compactIfGrown(minimumBytes: number): void {
    if (this.committed <= 2 * this.sizeAfterCompaction + minimumBytes) return;
    this.compactWanted = true;
    this.append().catch(() => undefined);
  }

  /** Writes what is pending, then stops taking records. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.append().catch(() => undefined);
    this.closed = true;
    await this.handle.close();
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    while (this.group) {
      const group = this.group;
      this.group = undefined;
      const frames = [...this.pending, ...this.content.collect()];
      this.pending = [];
      try {
        if (this.compactWanted) {
          this.compactWanted = false;
          if (!(await this.compact())) await this.write(frames);
        } else {
          await this.write(frames);
        }
        group.resolve();
      } catch (error) {
        // The errno (ENOSPC, EIO) and the file: the run that fails on it names both.
        const reason = error instanceof Error ? error.message : String(error);
        group.reject(new Error(`${reason} (${this.path})`, { cause: error }));
      }
    }
    this.pumping = false;
  }

  private async write(frames: readonly Buffer[]): Promise<void> {
    if (frames.length === 0) return;
    const bytes = frames.length === 1 ? frames[0] : Buffer.concat(frames);
    try {
      let done = 0;
      while (done < bytes.length) {
        done += (await this.handle.write(bytes, done, bytes.length - done)).bytesWritten;
      }
      if (this.durability === 'fsync') await this.handle.datasync();
      this.committed += bytes.length;
    } catch (error) {
      // A part of the group may be on disk: cut it, so the next group follows a whole frame.
      await this.handle.truncate(this.committed).catch(() => undefined);
      throw error;
    }
  }

  /** Answers false (and keeps the file as it was) when the rewrite could not be made. */
  private async compact(): Promise<boolean> {
    const frames = this.content.snapshot();
    let size: number;
    try {
      size = await writeWhole(this.path, frames);
    } catch {
      return false;
    }
    await this.handle.close();
    this.handle = await open(this.path, 'a');
    this.committed = size;
    this.sizeAfterCompaction = size;
    return true;
  }
}

/** Writes a whole journal (header and frames) to `path` through a temporary file, synced. */
async function writeWhole(path: string, frames: readonly Buffer[]): Promise<number> {
  const temporary = `${path}.new`;
  const handle = await open(temporary, 'w');
  let size = HEADER_BYTES;
  try {
    await handle.write(header());
    for (const frame of frames) {
      await handle.write(frame);
      size += frame.length;
    }
    await handle.datasync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temporary, path);
  await syncDirectory(dirname(path));
  return size;
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
