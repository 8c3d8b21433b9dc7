import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectPeerLink } from '../common/delivery/peer-link.provider.js';
import type { PeerLink } from '../common/delivery/peer-link.js';
import { peerLinkMetrics } from '../ops/peer-link-metrics.js';
import { pingPeer } from '../ops/peer-readiness.js';
import { PipelineMetrics, TASK_REFUSALS } from '../ops/pipeline-metrics.js';
import { ReadinessChecks } from '../ops/readiness-checks.js';
import { ProcessorService } from './processor.service.js';

/** What the processor shows its operator: tasks it holds and refuses, its link to the saver, the saver's ping. */
@Injectable()
export class ProcessorOps implements OnModuleInit, OnModuleDestroy {
  private removers: (() => void)[] = [];

  constructor(
    private readonly metrics: PipelineMetrics,
    private readonly readiness: ReadinessChecks,
    private readonly processor: ProcessorService,
    @InjectPeerLink('saver') private readonly saver: PeerLink,
  ) {}

  onModuleInit(): void {
    const metrics = this.metrics.use('processor');
    for (const reason of TASK_REFUSALS) metrics.processorRefused.inc({ reason }, 0);
    this.processor.countRefusals((reason) => metrics.processorRefused.inc({ reason }));
    this.removers = [
      () => this.processor.countRefusals(undefined),
      metrics.processorHeld.add(() => [[{}, this.processor.pending]]),
      peerLinkMetrics(metrics, 'processor', this.saver),
      this.readiness.add('saver', () => pingPeer(this.saver)),
    ];
  }

  onModuleDestroy(): void {
    for (const remove of this.removers) remove();
  }
}
