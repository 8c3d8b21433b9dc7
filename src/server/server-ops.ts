import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectPeerLink } from '../common/delivery/peer-link.provider.js';
import type { PeerLink } from '../common/delivery/peer-link.js';
import { peerLinkMetrics } from '../ops/peer-link-metrics.js';
import { pingPeer } from '../ops/peer-readiness.js';
import { PipelineMetrics } from '../ops/pipeline-metrics.js';
import { ReadinessChecks } from '../ops/readiness-checks.js';

/** What the server shows its operator: its link to the processor, and whether the processor answers. */
@Injectable()
export class ServerOps implements OnModuleInit, OnModuleDestroy {
  private removers: (() => void)[] = [];

  constructor(
    private readonly metrics: PipelineMetrics,
    private readonly readiness: ReadinessChecks,
    @InjectPeerLink('processor') private readonly processor: PeerLink,
  ) {}

  onModuleInit(): void {
    this.removers = [
      peerLinkMetrics(this.metrics.use('server'), 'server', this.processor),
      this.readiness.add('processor', () => pingPeer(this.processor)),
    ];
  }

  onModuleDestroy(): void {
    for (const remove of this.removers) remove();
  }
}
