import type { RunProgress } from '../common/contracts/http.js';
import cliProgress from 'cli-progress';

/** Shows a run's progress while it goes; `stop` leaves the terminal clean for the summary. */
export interface ProgressDisplay {
  update(progress: RunProgress): void;
  stop(last?: RunProgress): void;
}

const count = (value: number): string => value.toLocaleString('en-US');

/** `1h02m`, `3m05s`, `42s`. */
export const duration = (seconds: number): string => {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600)
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
};

/**
 * Time left at the run's average write rate so far; `—` until a second has passed with lines
 * written (no figure is better than a guess from the first burst), and once the run has ended.
 */
export function etaOf(
  progress: Pick<RunProgress, 'total' | 'written' | 'elapsedMs' | 'state'>,
): string {
  const seconds = progress.elapsedMs / 1000;
  const ended = !['queued', 'sending', 'saving'].includes(progress.state);
  if (ended || progress.written === 0 || seconds < 1) return '—';
  return duration((progress.total - progress.written) / (progress.written / seconds));
}

/** Lines written per second of the run so far: the figure a run ends on. */
export const averageRate = (progress: Pick<RunProgress, 'written' | 'elapsedMs'>): number =>
  progress.elapsedMs > 0 ? Math.round(progress.written / (progress.elapsedMs / 1000)) : 0;

/** On a terminal: one bar of written lines, with sent, acked, the rate and the time left. */
export class ProgressBar implements ProgressDisplay {
  private readonly bar = new cliProgress.SingleBar(
    {
      format:
        '{bar} {percentage}% | written {written}/{totalText} | sent {sent} acked {acked} | ' +
        '{rate}/s | ETA {eta} | {state}',
      hideCursor: true,
      barsize: 30,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  private started = false;

  update(progress: RunProgress, final = false): void {
    const now = progress.state === 'sending' ? progress.ackRate : progress.writeRate;
    const payload = {
      written: count(progress.written),
      totalText: count(progress.total),
      sent: count(progress.sent),
      acked: count(progress.acked),
      // The last interval's rate while it runs; the run's own average once it has ended.
      rate: count(final ? averageRate(progress) : now),
      eta: etaOf(progress),
      state: progress.state,
    };
    if (!this.started) {
      this.bar.start(progress.total, progress.written, payload);
      this.started = true;
    } else {
      this.bar.update(progress.written, payload);
    }
  }

  stop(last?: RunProgress): void {
    if (last) this.update(last, true);
    if (this.started) this.bar.stop();
  }
}

/** Without a terminal (CI, a pipe): one line every `everyMs`, and one at the end. */
export class ProgressLines implements ProgressDisplay {
  private lastLineAt = 0;

  constructor(
    private readonly everyMs: number,
    private readonly write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {}

  update(progress: RunProgress): void {
    const now = Date.now();
    if (now - this.lastLineAt < this.everyMs) return;
    this.lastLineAt = now;
    this.write(lineOf(progress));
  }

  stop(last?: RunProgress): void {
    if (last) this.write(lineOf(last, true));
  }
}

/** A line of the run's figures; the last one gives the run's average rate, not its last burst. */
const lineOf = (p: RunProgress, final = false): string =>
  `[${(p.elapsedMs / 1000).toFixed(1)}s] ${p.state}: sent ${count(p.sent)}/${count(p.total)}, ` +
  `acked ${count(p.acked)}, written ${count(p.written)} ` +
  `(${count(final ? averageRate(p) : p.state === 'sending' ? p.ackRate : p.writeRate)}/s), ` +
  `buffered ${count(p.buffered)}`;
