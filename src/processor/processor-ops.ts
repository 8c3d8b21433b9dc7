import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectPeerLink } from '../common/transport/peer-link.provider.js';
import type { PeerLink } from '../common/transport/peer-link.js';
import { peerLinkMetrics } from '../ops/peer-link-metrics.js';
import { pingPeer } from '../ops/peer-readiness.js';
import { PipelineMetrics } from '../ops/pipeline-metrics.js';
import { ReadinessChecks } from '../ops/readiness-checks.js';
import { ProcessorService } from './processor.service.js';

/** What the processor shows its operator: tasks it holds, its link to the saver, the saver's ping. */
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
    this.removers = [
      this.metrics.processorHeld.add(() => [[{}, this.processor.pending]]),
      peerLinkMetrics(this.metrics, 'processor', this.saver),
      this.readiness.add('saver', () => pingPeer(this.saver)),
    ];
  }

  onModuleDestroy(): void {
    for (const remove of this.removers) remove();
  }
}
