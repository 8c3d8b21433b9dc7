import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectSaverLinks } from '../common/delivery/peer-link.provider.js';
import type { SaverLinks } from '../common/delivery/saver-links.js';
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
    @InjectSaverLinks() private readonly savers: SaverLinks,
  ) {}

  onModuleInit(): void {
    const metrics = this.metrics.use('processor');
    for (const reason of TASK_REFUSALS) metrics.processorRefused.inc({ reason }, 0);
    this.processor.countRefusals((reason) => metrics.processorRefused.inc({ reason }));
    this.removers = [
      () => this.processor.countRefusals(undefined),
      metrics.processorHeld.add(() => [[{}, this.processor.pending]]),
      peerLinkMetrics(metrics, 'processor', this.savers),
      // Each saver by name: one that is away stalls only its own runs, and says which.
      ...this.savers
        .named()
        .map(([saver, link]) => this.readiness.add(saver, () => pingPeer(link))),
    ];
  }

  onModuleDestroy(): void {
    for (const remove of this.removers) remove();
  }
}
