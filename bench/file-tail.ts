import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Watches a run's file grow, from outside the saver: the time (epoch ms) each line was first seen
 * in the file, polled every `everyMs`. Gives "processed → in the file" without a hook in src/.
 */
export class FileTail {
  /** By seq (line number), 1-based; NaN until seen. */
  readonly seenAt: Float64Array;
  private lines = 0;
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly path: string,
    private readonly total: number,
    private readonly everyMs = 2,
  ) {
    this.seenAt = new Float64Array(total + 1).fill(NaN);
    this.loop = this.follow();
  }

  /** Stops watching once it has read what is in the file now. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async follow(): Promise<void> {
    const buffer = Buffer.allocUnsafe(1 << 20);
    let handle: FileHandle | undefined;
    let position = 0;
    try {
      for (;;) {
        const last = this.stopped;
        handle ??= await open(this.path, 'r').catch(() => undefined);
        let bytesRead = 0;
        if (handle) {
          ({ bytesRead } = await handle.read(buffer, 0, buffer.length, position));
          position += bytesRead;
          const now = Date.now();
          const fresh = buffer.subarray(0, bytesRead);
          for (let at = fresh.indexOf(10); at !== -1; at = fresh.indexOf(10, at + 1)) {
            if (this.lines < this.total) this.seenAt[++this.lines] = now;
          }
        }
        if (this.lines >= this.total || (last && bytesRead === 0)) return;
        if (bytesRead < buffer.length) await sleep(this.everyMs);
      }
    } finally {
      await handle?.close();
    }
  }
}
