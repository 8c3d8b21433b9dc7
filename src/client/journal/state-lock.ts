import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** Lock files this process holds: a second client in the same process is refused too. */
const held = new Set<string>();

/** Thrown when another client holds the state folder; the message says which and what to do. */
export class StateDirInUseError extends Error {
  constructor(dir: string, holder: string) {
    super(
      `STATE_DIR ${dir} is in use by another client (${holder}); give each client its own ` +
        'STATE_DIR, or stop the other one first',
    );
    this.name = StateDirInUseError.name;
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * One client per state folder: `LOCK` holds the owner's pid and host. A lock left by a process
 * that died (kill -9) is taken over; one whose process lives on this host is refused. (A lock
 * from another host sharing the folder is refused too: its process cannot be checked from here.)
 */
export class StateLock {
  private constructor(private readonly path: string) {}

  static acquire(dir: string): StateLock {
    const path = join(dir, 'LOCK');
    const owner = `pid ${process.pid} on ${hostname()}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (held.has(path)) throw new StateDirInUseError(dir, 'a client in this process');
      try {
        const fd = openSync(path, 'wx');
        writeSync(fd, `${owner}\n`);
        closeSync(fd);
        held.add(path);
        return new StateLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readFileSync(path, 'utf8').trim();
      const [, pid, host] = /^pid (\d+) on (.+)$/.exec(holder) ?? [];
      const stale = host === hostname() && (Number(pid) === process.pid || !alive(Number(pid)));
      if (!stale && holder !== '') throw new StateDirInUseError(dir, holder);
      // Its owner is gone: remove it and race for it like any other starter.
      rmSync(path, { force: true });
    }
    throw new StateDirInUseError(dir, 'a client that started at the same moment');
  }

  release(): void {
    if (!held.delete(this.path)) return;
    rmSync(this.path, { force: true });
  }
}
