import cliProgress from 'cli-progress';
import type { RunProgress } from '../client/progress/run-progress.js';

/** Shows a run's progress while it goes; `stop` leaves the terminal clean for the summary. */
export interface ProgressDisplay {
  update(progress: RunProgress): void;
  stop(last?: RunProgress): void;
}

const count = (value: number): string => value.toLocaleString('en-US');

/** On a terminal: one bar of written lines, with sent, acked, the rate and cli-progress's ETA. */
export class ProgressBar implements ProgressDisplay {
  private readonly bar = new cliProgress.SingleBar(
    {
      format:
        '{bar} {percentage}% | written {written}/{totalText} | sent {sent} acked {acked} | ' +
        '{rate}/s | ETA {eta_formatted} | {state}',
      hideCursor: true,
      etaBuffer: 20,
      barsize: 30,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  private started = false;

  update(progress: RunProgress): void {
    const payload = {
      written: count(progress.written),
      totalText: count(progress.total),
      sent: count(progress.sent),
      acked: count(progress.acked),
      rate: count(progress.state === 'sending' ? progress.ackRate : progress.writeRate),
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
    if (last) this.update(last);
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
    if (last) this.write(lineOf(last));
  }
}

const lineOf = (p: RunProgress): string =>
  `[${(p.elapsedMs / 1000).toFixed(1)}s] ${p.state}: sent ${count(p.sent)}/${count(p.total)}, ` +
  `acked ${count(p.acked)}, written ${count(p.written)} ` +
  `(${count(p.state === 'sending' ? p.ackRate : p.writeRate)}/s), buffered ${count(p.buffered)}`;
