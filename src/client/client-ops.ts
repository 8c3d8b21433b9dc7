import { RUN_STATES, isFinal } from '../common/contracts/http.js';
import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { InjectPeerLink, InjectSaverLinks } from '../common/delivery/peer-link.provider.js';
import type { SaverLinks } from '../common/delivery/saver-links.js';
import type { PeerLink } from '../common/delivery/peer-link.js';
import { peerLinkMetrics } from '../ops/peer-link-metrics.js';
import { pingPeer } from '../ops/peer-readiness.js';
import { PipelineMetrics } from '../ops/pipeline-metrics.js';
import { ReadinessChecks } from '../ops/readiness-checks.js';
import { RunEvents } from './run-events.js';
import { RunsService } from './runs.service.js';

/**
 * What the client shows its operator. The task counters and the ack latency follow `RunEvents`
 * (the one stream of the runs' progress), and so do the runs ended, by state (a run of an earlier
 * life restored from the journal publishes nothing: it is not counted again); the runs remembered,
 * by state, are counted when Prometheus scrapes.
 * Ready means the server and the saver answer their pings.
 */
@Injectable()
export class ClientOps implements OnModuleInit, OnModuleDestroy {
  private removers: (() => void)[] = [];
  private subscription?: Subscription;

  constructor(
    private readonly metrics: PipelineMetrics,
    private readonly readiness: ReadinessChecks,
    private readonly events: RunEvents,
    private readonly runs: RunsService,
    @InjectPeerLink('server') private readonly server: PeerLink,
    @InjectSaverLinks() private readonly savers: SaverLinks,
  ) {}

  onModuleInit(): void {
    const metrics = this.metrics.use('client');
    // Every final state from the start, at 0: a rate over a series that appears late misses its first run.
    for (const state of RUN_STATES.filter(isFinal)) metrics.runsEnded.inc({ state }, 0);
    const ackSeconds = metrics.hopSeconds.labels({ from: 'client', to: 'server' });
    this.subscription = this.events.all$.subscribe(({ kind, run }) => {
      switch (kind) {
        case 'sent':
          return metrics.tasksSent.inc();
        case 'acked':
          metrics.tasksAcked.inc();
          return ackSeconds.observe(run.lastAckMs / 1000);
        case 'failed':
          return metrics.tasksFailed.inc();
        case 'resent':
          return metrics.tasksResent.inc();
        case 'state':
          if (isFinal(run.current)) metrics.runsEnded.inc({ state: run.current });
          return;
      }
    });
    this.removers = [
      metrics.runs.add(() =>
        RUN_STATES.map((state) => [
          { state },
          this.runs.list({ state, limit: 0, offset: 0 }).total,
        ]),
      ),
      metrics.unwrittenTasks.add(() => [[{}, this.runs.unwritten.inUse]]),
      peerLinkMetrics(metrics, 'client', this.savers),
      this.readiness.add('server', () => pingPeer(this.server)),
      // Each saver by name: one that is away stalls only its own runs, and says which.
      ...this.savers
        .named()
        .map(([saver, link]) => this.readiness.add(saver, () => pingPeer(link))),
    ];
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
    for (const remove of this.removers) remove();
  }
}
