import { Counter, Histogram, Registry } from 'prom-client';
import { CollectedGauge } from './collected-gauge.js';

/** Latency buckets, seconds: a local hop answers in a millisecond, a loaded one in seconds. */
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * Every metric of the pipeline, declared once, in one registry per process: the modules of a
 * monolith share it, and a test process that starts several systems gets one each (the global
 * default registry would refuse the second "metric already registered").
 */
export class PipelineMetrics {
  readonly registry = new Registry();
  private readonly registers = [this.registry];

  // Client: tasks, as `RunEvents` reports them.
  readonly tasksSent = new Counter({
    name: 'pipeline_tasks_sent_total',
    help: 'Tasks the client sent (first sends).',
    registers: this.registers,
  });
  readonly tasksAcked = new Counter({
    name: 'pipeline_tasks_acked_total',
    help: 'Tasks acknowledged to the client.',
    registers: this.registers,
  });
  readonly tasksFailed = new Counter({
    name: 'pipeline_tasks_failed_total',
    help: 'Tasks the client gave up on after every retry (the repair may still bring them).',
    registers: this.registers,
  });
  readonly tasksResent = new Counter({
    name: 'pipeline_tasks_resent_total',
    help: 'Tasks the repair sent again.',
    registers: this.registers,
  });
  readonly unwrittenTasks = new CollectedGauge(
    'pipeline_client_unwritten_tasks',
    'Tasks the client sent and the saver has not yet written, over every run (at most MAX_UNWRITTEN_TASKS).',
    [],
    this.registry,
  );
  readonly runs = new CollectedGauge(
    'pipeline_runs',
    'Runs the client remembers, by state.',
    ['state'],
    this.registry,
  );

  // Saver.
  readonly resultsWritten = new Counter({
    name: 'pipeline_results_written_total',
    help: 'Result lines the saver wrote.',
    registers: this.registers,
  });
  readonly duplicatesDropped = new Counter({
    name: 'pipeline_duplicates_dropped_total',
    help: 'Results the saver dropped as duplicates.',
    registers: this.registers,
  });
  readonly reorderBuffered = new CollectedGauge(
    'pipeline_reorder_buffered',
    'Results the saver holds for an earlier seq, over every open run.',
    [],
    this.registry,
  );
  readonly saverOpenRuns = new CollectedGauge(
    'pipeline_saver_open_runs',
    'Run files the saver has open.',
    [],
    this.registry,
  );

  // Processor.
  readonly processorHeld = new CollectedGauge(
    'pipeline_processor_held_tasks',
    'Tasks the processor holds (waiting for their delay or for the saver).',
    [],
    this.registry,
  );

  // Every hop.
  readonly linkPending = new CollectedGauge(
    'pipeline_link_pending',
    'Requests in flight or waiting for a slot on a link between two modules.',
    ['from', 'to'],
    this.registry,
  );
  readonly hopMessages = new Counter({
    name: 'pipeline_hop_messages_total',
    help: 'Messages sent on a link between two modules: a batch of tasks or results counts once, retries are not counted.',
    labelNames: ['from', 'to'],
    registers: this.registers,
  });
  readonly hopSeconds = new Histogram({
    name: 'pipeline_hop_seconds',
    help: 'From handing a task (or result, or query) to a hop to its answer, retries included; one count per item, whether it travelled alone or in a batch.',
    labelNames: ['from', 'to'],
    buckets: LATENCY_BUCKETS,
    registers: this.registers,
  });
}
