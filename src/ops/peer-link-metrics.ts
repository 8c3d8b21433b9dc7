import type { ModuleName } from '../common/settings/settings.js';
import type { PeerLink } from '../common/delivery/peer-link.js';
import type { PipelineMetrics } from './pipeline-metrics.js';

/** Counts a link's requests pending and its messages, and times its answers; the function answered stops it. */
export function peerLinkMetrics(
  metrics: PipelineMetrics,
  from: ModuleName,
  link: Pick<PeerLink, 'role' | 'observeLatency' | 'countMessages' | 'pending'>,
): () => void {
  const labels = { from, to: link.role };
  const latency = metrics.hopSeconds.labels(labels);
  link.observeLatency((seconds) => latency.observe(seconds));
  const messages = metrics.hopMessages.labels(labels);
  link.countMessages(() => messages.inc());
  const removeSource = metrics.linkPending.add(() => [[labels, link.pending]]);
  return () => {
    link.observeLatency(undefined);
    link.countMessages(undefined);
    removeSource();
  };
}
