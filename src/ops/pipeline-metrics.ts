import { Counter, Histogram, Registry, type Metric } from 'prom-client';
import type { ModuleName } from '../common/settings/settings.js';
import { CollectedGauge } from './collected-gauge.js';

/** Latency buckets, seconds: a local hop answers in a millisecond, a loaded one in seconds. */
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** A metric of the pipeline, created unregistered: `PipelineMetrics.use` registers it. */
const counter = (name: string, help: string, labelNames: readonly string[] = []) =>
  new Counter({ name, help, labelNames, registers: [] });

/** Why the saver refused a result: the `reason` label of `pipeline_results_refused_total`. */
export const RESULT_REFUSALS = [
  'run_not_open',
  'run_ended',
  'run_unusable',
  'run_completed',
  'too_far_ahead',
  'saver_full',
  'saver_stopping',
] as const;
export type ResultRefusal = (typeof RESULT_REFUSALS)[number];

/** Why the processor refused a task or dropped its result: the `reason` label of its counter. */
export const TASK_REFUSALS = [
  'processor_full',
  'delay_above_max',
  'result_refused_by_saver',
] as const;
export type TaskRefusal = (typeof TASK_REFUSALS)[number];

/**
 * Every metric of the pipeline, declared once, in one registry per process (a test process that
 * starts several systems gets one each: the global default registry would refuse the second
 * "metric already registered"). A metric is registered by the module that uses it (`use`), so a
 * process exports the metrics of the modules it runs and no zeros for the others.
 */
export class PipelineMetrics {
  readonly registry = new Registry();

  // Client: tasks and runs, as `RunEvents` reports them.
  readonly tasksSent = counter('pipeline_tasks_sent_total', 'Tasks the client sent (first sends).');
  readonly tasksAcked = counter('pipeline_tasks_acked_total', 'Tasks acknowledged to the client.');
  readonly tasksFailed = counter(
    'pipeline_tasks_failed_total',
    'Tasks the client gave up on after every retry (the repair may still bring them).',
  );
  readonly tasksResent = counter('pipeline_tasks_resent_total', 'Tasks the repair sent again.');
  readonly unwrittenTasks = new CollectedGauge(
    'pipeline_client_unwritten_tasks',
    'Tasks the client sent and the saver has not yet written, over every run (at most MAX_UNWRITTEN_TASKS).',
  );
  readonly runs = new CollectedGauge(
    'pipeline_runs',
    'Runs the client remembers now, by state (the latest ones: older ended runs are forgotten).',
    ['state'],
  );
  readonly runsEnded = counter(
    'pipeline_runs_total',
    'Runs that ended in this process, by final state (completed, failed, cancelled, interrupted).',
    ['state'],
  );
  readonly runsRefused = counter(
    'pipeline_runs_refused_total',
    'Requests to start a run answered 429 because the queue was full (MAX_QUEUED_RUNS), refused before anything else was read.',
  );

  // Saver: each series carries the saver's index (`saver`, SAVER_INDEX; "0" with one saver).
  readonly resultsWritten = counter(
    'pipeline_results_written_total',
    'Result lines the saver wrote.',
    ['saver'],
  );
  readonly duplicatesDropped = counter(
    'pipeline_duplicates_dropped_total',
    'Results the saver dropped as duplicates.',
    ['saver'],
  );
  readonly resultsRefused = counter(
    'pipeline_results_refused_total',
    'Results the saver did not take, by reason: dropped for good (run_not_open, run_ended, run_unusable), already written (run_completed), or refused for now (too_far_ahead, saver_full, saver_stopping: its sender sends it again).',
    ['reason', 'saver'],
  );
  readonly reorderBuffered = new CollectedGauge(
    'pipeline_reorder_buffered',
    'Results the saver holds for an earlier seq, over every open run.',
    ['saver'],
  );
  readonly saverOpenRuns = new CollectedGauge(
    'pipeline_saver_open_runs',
    'Run files the saver has open.',
    ['saver'],
  );

  // Processor.
  readonly processorHeld = new CollectedGauge(
    'pipeline_processor_held_tasks',
    'Tasks the processor holds (waiting for their delay or for the saver).',
  );
  readonly processorRefused = counter(
    'pipeline_processor_refused_total',
    'Tasks the processor refused (processor_full: sent again; delay_above_max) or whose result it dropped because the saver refused it for good (result_refused_by_saver).',
    ['reason'],
  );

  // Every module that takes messages.
  readonly messagesRefused = counter(
    'pipeline_messages_refused_total',
    'Messages refused for their signature (MESSAGE_KEY set): unsigned, bad_signature or unknown_key. Nothing of them reached a file.',
    ['reason'],
  );

  // Every link from a module to a peer.
  readonly linkPending = new CollectedGauge(
    'pipeline_link_pending',
    'Requests in flight or waiting for a slot on a link between two modules.',
    ['from', 'to'],
  );
  readonly hopMessages = counter(
    'pipeline_hop_messages_total',
    'Messages sent on a link between two modules: a batch of tasks or results counts once, retries are not counted.',
    ['from', 'to'],
  );
  readonly hopSeconds = new Histogram({
    name: 'pipeline_hop_seconds',
    help: 'From handing a task (or result, or query) to a hop to its answer, retries included; one count per item, whether it travelled alone or in a batch.',
    labelNames: ['from', 'to'],
    buckets: LATENCY_BUCKETS,
    registers: [],
  });

  /** The metrics each module uses: those of the links to its peers for every module that calls one. */
  private readonly ofModule: Record<ModuleName, readonly Metric[]> = (() => {
    const links = [this.linkPending.metric, this.hopMessages, this.hopSeconds];
    return {
      client: [
        this.tasksSent,
        this.tasksAcked,
        this.tasksFailed,
        this.tasksResent,
        this.unwrittenTasks.metric,
        this.runs.metric,
        this.runsEnded,
        this.runsRefused,
        ...links,
      ],
      server: [this.messagesRefused, ...links],
      processor: [this.processorHeld.metric, this.processorRefused, this.messagesRefused, ...links],
      saver: [
        this.messagesRefused,
        this.resultsWritten,
        this.duplicatesDropped,
        this.resultsRefused,
        this.reorderBuffered.metric,
        this.saverOpenRuns.metric,
      ],
    };
  })();

  /** Registers the metrics of `module`, which runs in this process (again: nothing changes). */
  use(module: ModuleName): this {
    for (const metric of this.ofModule[module]) this.registry.registerMetric(metric);
    return this;
  }
}
