import type { OnApplicationShutdown } from '@nestjs/common';
import type { Settings } from '../settings/settings.js';
import { PeerLink, type ItemSend } from './peer-link.js';
import type { RetryPolicy } from './request-with-retry.js';
import { ownerOf } from './run-owner.js';

/**
 * The links to every saver, one `PeerLink` each; a run's messages all go to its owner
 * (`ownerOf`: a hash of its id over the savers), so each saver holds whole runs and a saver
 * that is away stalls its own runs only. With one saver (the default) it is one link.
 */
export class SaverLinks implements OnApplicationShutdown {
  readonly links: readonly PeerLink[];

  constructor(settings: Settings, policy: RetryPolicy) {
    this.links = Array.from(
      { length: settings.savers.count },
      (_, which) => new PeerLink(settings, 'saver', policy, which),
    );
  }

  /** The link to the saver that owns run `runId`. */
  of(runId: string): PeerLink {
    return this.links[ownerOf(runId, this.links.length)];
  }

  /**
   * Sends items of many runs for `pattern` in batches, each item to its run's owner (a batch
   * holds the items of one saver).
   */
  batched<I extends { readonly runId: string }, A>(
    pattern: string,
    singlePattern?: string,
  ): ItemSend<I, A> {
    const sends = this.links.map((link) => link.batched<I, A>(pattern, singlePattern));
    if (sends.length === 1) return sends[0];
    return (item, signal) => sends[ownerOf(item.runId, sends.length)](item, signal);
  }

  readonly role = 'saver';

  /** Readiness names: `saver` for the one saver, `saver 0`, `saver 1`, … for several. */
  named(): readonly (readonly [string, PeerLink])[] {
    return this.links.map((link, which) => [
      this.links.length === 1 ? 'saver' : `saver ${which}`,
      link,
    ]);
  }

  /** Called with the seconds of each request on any of the links. */
  observeLatency(observer: ((seconds: number) => void) | undefined): void {
    for (const link of this.links) link.observeLatency(observer);
  }

  /** Called for each message sent on any of the links. */
  countMessages(counter: (() => void) | undefined): void {
    for (const link of this.links) link.countMessages(counter);
  }

  /** What waits on all the links together. */
  get pending(): number {
    return this.links.reduce((sum, link) => sum + link.pending, 0);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.links.map((link) => link.onApplicationShutdown()));
  }
}
