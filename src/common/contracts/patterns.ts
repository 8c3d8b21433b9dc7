/**
 * Message patterns, declared once and imported by both sides of each hop.
 * Exact dotted strings: wildcards do not behave the same on every transport.
 */
export const Patterns = {
  /** client → server: a task; answered with an `Ack` once the processor has it. */
  serverTask: 'server.task',
  /**
   * server → processor: a `Batch` of tasks, answered with one `Ack` (or refusal) per task before
   * any is processed. `processor.task` takes a single task, for a peer that sends one at a time.
   */
  processorTasks: 'processor.tasks',
  processorTask: 'processor.task',
  /**
   * processor → saver: a `Batch` of processed `Result`s, answered with one `ResultReceipt` (or
   * refusal) per result once the saver has taken them. `saver.result` takes a single result.
   */
  saverResults: 'saver.results',
  saverResult: 'saver.result',
  /** client → saver: opens (creates) a run's file before its first task, answered with its `SaverStatus`. */
  saverOpen: 'saver.open',
  /** client → saver: a run's `SaverStatus`; opens nothing. */
  saverStatus: 'saver.status',
  /** client → saver: close a cancelled run's file (`SaverRunRef`), answered with its `SaverStatus`. */
  saverCancel: 'saver.cancel',
  /** client → saver: what the saver recorded of a run for its report (`SaverReportQuery` → `SaverReport`). */
  saverReport: 'saver.report',
  /**
   * Readiness pings (any payload, ignored): answered with a `PingAnswer` and nothing else done, so
   * a health check never starts work. The saver's says whether it can write its OUTPUT_DIR.
   */
  serverPing: 'server.ping',
  processorPing: 'processor.ping',
  saverPing: 'saver.ping',
} as const;
