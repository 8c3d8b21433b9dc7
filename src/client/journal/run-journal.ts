import type { RunShape, RunView } from '../../common/contracts/http.js';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RUN_ID_PATTERN } from '../../common/contracts/bounds.js';
import type { SeriesPoints } from '../../common/recording/downsampled-series.js';
import type { Percentiles } from '../../common/recording/log-histogram.js';
import { plural } from '../../common/plural.js';
import type { Settings } from '../../common/settings/settings.js';
import { SETTINGS } from '../../common/settings/settings.module.js';
import type { Run } from '../run.js';
import { JournalFile } from './journal-file.js';
import {
  FrameKind,
  readFrames,
  runFrame,
  TASK_ENTRY_BYTES,
  tasksFrame,
  VERSION,
  type Chunk,
  type TaskColumns,
} from './journal-frames.js';
import { StateLock } from './state-lock.js';

/** What the client recorded of a run for its report, kept beside the journal when it ends. */
export interface ClientRecording {
  readonly ackMs: Percentiles;
  readonly progress: SeriesPoints;
}

interface Accepted {
  readonly kind: 'accepted';
  readonly runId: string;
  readonly shape: RunShape;
  readonly seed: number;
  readonly createdAt: number;
}

type RunRecord =
  | Accepted
  | { readonly kind: 'admitted'; readonly runId: string }
  | {
      readonly kind: 'resumed';
      readonly runId: string;
      readonly restarts: number;
      readonly at: number;
    }
  | { readonly kind: 'ended'; readonly runId: string; readonly view: RunView };

/** The tasks a run had taken seqs for, as the journal holds them: seq 1..count. */
export interface JournaledTasks {
  readonly count: number;
  /** Indexed by seq, sized for the run's total + 1. */
  readonly columns: TaskColumns;
}

/** A run as the journal knew it when the client started. */
export interface JournaledRun {
  readonly runId: string;
  readonly shape: RunShape;
  readonly seed: number;
  readonly createdAt: number;
  /** It had left the queue (it may have sent tasks). */
  readonly admitted: boolean;
  /** Lives of the client it was resumed in, and when it last was. */
  readonly restarts: number;
  readonly resumedAt?: number;
  readonly tasks?: JournaledTasks;
  /** Its final view, when it had ended. */
  readonly ended?: RunView;
}

interface Entry {
  accepted: Accepted;
  admitted: boolean;
  restarts: number;
  resumedAt?: number;
  ended?: RunView;
  /** Tasks read back at start, until a live run holds them. */
  tasks?: JournaledTasks;
  run?: Run;
  /** Seqs of the run written to the journal so far. */
  journaledSeq: number;
}

/** The file is compacted once it is twice its compacted size plus this. */
const COMPACT_SLACK_BYTES = 4 * 1024 * 1024;

/**
 * The client's run journal in `STATE_DIR`: every accepted run with its shape and seed (its task
 * values are a function of the seed), when it left the queue, every seq it took — written before
 * the task can leave (write-ahead, group commit) — and its final view when it ends; the client's
 * report data go beside it, one file per ended run. A client that starts reads it back (see
 * `RunsService`), so a restart loses no run and no history. One client per folder (`LOCK`).
 * The file holds active runs and the retained history only: it is rewritten without the tasks of
 * ended runs and without forgotten runs once it has doubled.
 */
@Injectable()
export class RunJournal {
  private readonly logger = new Logger(RunJournal.name);
  private readonly entries = new Map<string, Entry>();
  private readonly dirty = new Set<Entry>();
  private file?: JournalFile;
  private lock?: StateLock;
  private readonly reportsDir: string;
  /** Ends being written (report data, then the record): a close waits for them. */
  private readonly ending = new Set<Promise<void>>();

  constructor(@Inject(SETTINGS) private readonly settings: Settings) {
    this.reportsDir = join(settings.state.dir, 'reports');
  }

  get enabled(): boolean {
    return this.settings.state.journal !== 'off';
  }

  /** Bytes of the journal file now (0 when journaling is off). */
  get size(): number {
    return this.file?.size ?? 0;
  }

  /**
   * Takes the folder (refused when another client holds it), reads the journal back — every intact
   * record; a torn or corrupt tail is dropped and said once — and rewrites it clean.
   */
  async open(): Promise<JournaledRun[]> {
    if (!this.enabled) return [];
    const { dir } = this.settings.state;
    mkdirSync(this.reportsDir, { recursive: true });
    this.lock = StateLock.acquire(dir);
    const path = join(dir, 'journal');
    const started = performance.now();
    const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return Buffer.alloc(0);
      throw error;
    });
    if (!this.replay(path, bytes)) await rename(path, `${path}.unreadable-${Date.now()}`);
    const durability = this.settings.state.journal === 'fsync' ? 'fsync' : 'write';
    this.file = await JournalFile.create(path, this.snapshot(), durability, {
      collect: () => this.collect(),
      snapshot: () => this.snapshot(),
    });
    if (bytes.length > 0) {
      this.logger.log(
        `${path}: ${plural(this.entries.size, 'run')} read back from ${plural(bytes.length, 'byte')} ` +
          `and rewritten (${plural(this.file.size, 'byte')}) in ${Math.round(performance.now() - started)} ms`,
      );
    }
    return [...this.entries.values()].map((entry) => ({
      runId: entry.accepted.runId,
      shape: entry.accepted.shape,
      seed: entry.accepted.seed,
      createdAt: entry.accepted.createdAt,
      admitted: entry.admitted,
      restarts: entry.restarts,
      ...(entry.resumedAt === undefined ? {} : { resumedAt: entry.resumedAt }),
      ...(entry.tasks === undefined ? {} : { tasks: entry.tasks }),
      ...(entry.ended === undefined ? {} : { ended: entry.ended }),
    }));
  }

  /** Writes what is pending and lets the folder go; records after this are not kept. */
  async close(): Promise<void> {
    await Promise.all(this.ending);
    const file = this.file;
    this.file = undefined;
    await file?.close();
    this.lock?.release();
    this.lock = undefined;
  }

  /** A run was accepted (queued or admitted at once). Settles when it is on disk. */
  accepted(run: Run, seed: number): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    const accepted: Accepted = {
      kind: 'accepted',
      runId: run.runId,
      shape: run.shape,
      seed,
      createdAt: run.createdAt,
    };
    this.entries.set(run.runId, { accepted, admitted: false, restarts: 0, run, journaledSeq: 0 });
    return this.append(runFrame(accepted));
  }

  /** A run of an earlier life is followed again in this one. */
  adopt(run: Run, journaled: JournaledRun): void {
    const entry = this.entries.get(run.runId);
    if (!entry) return;
    entry.run = run;
    entry.journaledSeq = journaled.tasks?.count ?? 0;
    // `entry.tasks` stays: until the run is admitted again (it may wait in the queue), a rewrite
    // of the journal takes its tasks from there. Admitted, the run holds the same arrays.
  }

  admitted(run: Run): void {
    const entry = this.entries.get(run.runId);
    if (!entry || entry.admitted) return;
    entry.admitted = true;
    this.append(runFrame({ kind: 'admitted', runId: run.runId })).catch(() => undefined);
  }

  resumed(run: Run, restarts: number, at: number): void {
    const entry = this.entries.get(run.runId);
    if (!entry) return;
    entry.restarts = restarts;
    entry.resumedAt = at;
    this.append(runFrame({ kind: 'resumed', runId: run.runId, restarts, at })).catch(
      () => undefined,
    );
  }

  /**
   * The run took seqs up to `run.sent`: settles once they are in the journal, so that no task can
   * reach the saver with a seq a restart would not know. Rejects with the write's error (ENOSPC).
   */
  sent(run: Run): Promise<void> | undefined {
    if (!this.enabled) return undefined;
    if (!this.file) return Promise.reject(new Error('the run journal is closed'));
    const entry = this.entries.get(run.runId);
    if (!entry) return undefined;
    this.dirty.add(entry);
    return this.file.append();
  }

  /** The run ended: its final view joins the history and its report data go beside it. */
  ended(run: Run, recording?: ClientRecording): Promise<void> {
    const ending = this.end(run, recording);
    this.ending.add(ending);
    return ending.finally(() => this.ending.delete(ending));
  }

  private async end(run: Run, recording?: ClientRecording): Promise<void> {
    const entry = this.entries.get(run.runId);
    if (!entry || !this.file) return;
    const view = run.view();
    entry.ended = view;
    entry.run = undefined;
    entry.tasks = undefined;
    this.dirty.delete(entry);
    try {
      if (recording) await this.writeReport(run.runId, recording);
      await this.append(runFrame({ kind: 'ended', runId: run.runId, view }));
    } catch (error) {
      this.logger.error(`run ${run.runId}: its end could not be journaled: ${String(error)}`);
    }
    this.file?.compactIfGrown(COMPACT_SLACK_BYTES);
  }

  /** The run leaves the history (retention): it is gone from the journal at its next rewrite. */
  forget(runId: string): void {
    if (!this.entries.delete(runId) || !this.enabled) return;
    void rm(this.reportPath(runId), { force: true });
  }

  /** What the client recorded of an ended run, if it was kept. */
  async report(runId: string): Promise<ClientRecording | undefined> {
    if (!this.enabled || !RUN_ID_PATTERN.test(runId)) return undefined;
    try {
      return JSON.parse(await readFile(this.reportPath(runId), 'utf8')) as ClientRecording;
    } catch {
      return undefined;
    }
  }

  private append(frame: Buffer): Promise<void> {
    return this.file ? this.file.append(frame) : Promise.resolve();
  }

  private async writeReport(runId: string, recording: ClientRecording): Promise<void> {
    await mkdir(this.reportsDir, { recursive: true });
    const path = this.reportPath(runId);
    await writeFile(`${path}.new`, JSON.stringify(recording));
    await rename(`${path}.new`, path);
  }

  private reportPath(runId: string): string {
    return join(this.reportsDir, `${runId}.json`);
  }

  /** Frames of the seqs runs took since the last group. */
  private collect(): Buffer[] {
    const frames: Buffer[] = [];
    for (const entry of this.dirty) {
      const frame = this.newTasksFrame(entry);
      if (frame) frames.push(frame);
    }
    this.dirty.clear();
    return frames;
  }

  private newTasksFrame(entry: Entry): Buffer | undefined {
    const columns = entry.run?.taskColumns;
    const sent = entry.run?.sent ?? 0;
    if (!columns || sent <= entry.journaledSeq) return undefined;
    const first = entry.journaledSeq + 1;
    entry.journaledSeq = sent;
    return tasksFrame(entry.accepted.runId, first, sent - first + 1, columns);
  }

  /** Everything the journal must hold now: what a rewrite keeps. */
  private snapshot(): Buffer[] {
    const frames: Buffer[] = [];
    for (const entry of this.entries.values()) {
      const { runId } = entry.accepted;
      frames.push(runFrame(entry.accepted));
      if (entry.admitted) frames.push(runFrame({ kind: 'admitted', runId }));
      if (entry.restarts > 0) {
        const at = entry.resumedAt ?? entry.accepted.createdAt;
        frames.push(runFrame({ kind: 'resumed', runId, restarts: entry.restarts, at }));
      }
      if (entry.ended) {
        frames.push(runFrame({ kind: 'ended', runId, view: entry.ended }));
        continue;
      }
      const live = entry.run?.taskColumns;
      if (live && entry.run && entry.run.sent > 0) {
        entry.journaledSeq = entry.run.sent;
        frames.push(tasksFrame(runId, 1, entry.run.sent, live));
      } else if (entry.tasks && entry.tasks.count > 0) {
        frames.push(tasksFrame(runId, 1, entry.tasks.count, entry.tasks.columns));
      }
    }
    this.dirty.clear();
    return frames;
  }

  /** Reads the journal's records back; answers false when it cannot be read at all. */
  private replay(path: string, bytes: Buffer): boolean {
    if (bytes.length === 0) return true;
    const read = readFrames(bytes);
    if (read.version !== VERSION) {
      this.logger.error(
        `${path} is ${read.version === undefined ? 'not a journal' : `in journal format ${read.version}`}, ` +
          `which this version does not read; it is kept aside and a new journal starts`,
      );
      return false;
    }
    let ignored = read.droppedFrames;
    const pieces = new Map<string, Chunk[]>();
    for (const chunk of read.chunks) {
      if (chunk.kind === FrameKind.Tasks) {
        const list = pieces.get(chunk.runId) ?? [];
        list.push(chunk);
        pieces.set(chunk.runId, list);
      } else if (!this.apply(chunk.record)) {
        ignored++;
      }
    }
    for (const [runId, chunks] of pieces) ignored += this.gatherTasks(runId, chunks);
    if (read.droppedBytes > 0 || ignored > 0) {
      this.logger.warn(
        `${path}: kept ${plural(read.chunks.length - ignored, 'record')} of ${this.entries.size} ` +
          `run(s); dropped ${plural(ignored, 'record')} that made no sense and ` +
          `${plural(read.droppedBytes, 'byte')} of a torn or corrupt tail`,
      );
    }
    return true;
  }

  /** Applies one run record; answers false for one that is malformed or names no known run. */
  private apply(record: unknown): boolean {
    if (!isRecord(record)) return false;
    if (record.kind === 'accepted') {
      this.entries.set(record.runId, {
        accepted: record,
        admitted: false,
        restarts: 0,
        journaledSeq: 0,
      });
      return true;
    }
    const entry = this.entries.get(record.runId);
    if (!entry) return false;
    if (record.kind === 'admitted') entry.admitted = true;
    else if (record.kind === 'resumed') {
      entry.restarts = record.restarts;
      entry.resumedAt = record.at;
    } else entry.ended = record.view;
    return true;
  }

  /** Puts a run's task frames together, in seq order; answers how many could not be used. */
  private gatherTasks(runId: string, chunks: Chunk[]): number {
    const entry = this.entries.get(runId);
    if (!entry || entry.ended) return 0;
    const { connectionCount, connectionValue } = entry.accepted.shape;
    const total = connectionCount * connectionValue;
    const columns: TaskColumns = {
      conns: new Uint32Array(total + 1),
      idxs: new Uint32Array(total + 1),
      sentAts: new Float64Array(total + 1),
    };
    let count = 0;
    let unused = 0;
    for (const chunk of chunks) {
      if (chunk.kind !== FrameKind.Tasks) continue;
      // Frames overlap after a rewrite raced a group; a gap or a seq past the total is corrupt.
      if (chunk.firstSeq > count + 1 || chunk.firstSeq + chunk.count - 1 > total) {
        unused++;
        continue;
      }
      for (let at = 0; at < chunk.count; at++) {
        const seq = chunk.firstSeq + at;
        const offset = at * TASK_ENTRY_BYTES;
        const conn = chunk.entries.readUInt32LE(offset);
        const idx = chunk.entries.readUInt32LE(offset + 4);
        if (conn < 1 || conn > connectionCount || idx < 1 || idx > connectionValue) break;
        columns.conns[seq] = conn;
        columns.idxs[seq] = idx;
        columns.sentAts[seq] = chunk.entries.readDoubleLE(offset + 8);
        count = Math.max(count, seq);
      }
    }
    entry.tasks = { count, columns };
    entry.journaledSeq = count;
    return unused;
  }
}

function isRecord(value: unknown): value is RunRecord {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Partial<Record<string, unknown>>;
  if (typeof record.runId !== 'string' || !RUN_ID_PATTERN.test(record.runId)) return false;
  switch (record.kind) {
    case 'accepted': {
      const shape = record.shape as Partial<Record<string, unknown>> | undefined;
      return (
        typeof record.seed === 'number' &&
        typeof record.createdAt === 'number' &&
        Number.isInteger(shape?.connectionCount) &&
        Number.isInteger(shape?.connectionValue) &&
        typeof shape?.delayRange === 'number'
      );
    }
    case 'admitted':
      return true;
    case 'resumed':
      return typeof record.restarts === 'number' && typeof record.at === 'number';
    case 'ended':
      return typeof record.view === 'object' && record.view !== null;
    default:
      return false;
  }
}
