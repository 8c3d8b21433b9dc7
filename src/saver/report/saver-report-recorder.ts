import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { SaverReport } from '../../common/contracts/messages.js';
import { SaverObservers, type SaverObserver } from '../saver-observers.js';
import { SaverRunRecording, unknownReport } from './saver-run-recording.js';

/** Runs whose recording is kept; the one that started first is forgotten first. */
export const RECORDED_RUNS = 100;

/**
 * Records, as a saver observer, what each run's report shows of the saver: the order in which
 * results arrived, the delays drawn, the reorder buffer's depth and wait. Bounded: at most
 * RECORDED_RUNS runs, each in fixed memory (see `SaverRunRecording`).
 */
@Injectable()
export class SaverReportRecorder implements SaverObserver, OnModuleDestroy {
  private readonly runs = new Map<string, SaverRunRecording>();
  /** The run of the latest event: most events follow one of the same run. */
  private latest?: SaverRunRecording;
  private readonly remove: () => void;

  constructor(observers: SaverObservers) {
    this.remove = observers.add(this);
  }

  onModuleDestroy(): void {
    this.remove();
  }

  report(runId: string): SaverReport {
    return this.runs.get(runId)?.report() ?? unknownReport(runId);
  }

  received(runId: string, seq: number, delayMs: number, at: number): void {
    this.of(runId).received(seq, delayMs, at);
  }

  released(runId: string, firstSeq: number, count: number, _buffered: number, at: number): void {
    this.of(runId).released(firstSeq, count, at);
  }

  written(runId: string, _firstSeq: number, count: number, at: number): void {
    this.of(runId).written(count, at);
  }

  duplicate(runId: string, seq: number): void {
    this.of(runId).duplicate(seq);
  }

  private of(runId: string): SaverRunRecording {
    if (this.latest?.runId === runId) return this.latest;
    let recording = this.runs.get(runId);
    if (!recording) {
      recording = new SaverRunRecording(runId);
      this.runs.set(runId, recording);
      if (this.runs.size > RECORDED_RUNS) this.runs.delete(this.runs.keys().next().value as string);
      // `latest` may have been the run just forgotten: it is replaced below.
    }
    this.latest = recording;
    return recording;
  }
}
