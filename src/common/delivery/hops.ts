import { Inject, type Provider } from '@nestjs/common';
import { Patterns } from '../contracts/patterns.js';
import type { PeerRole } from '../settings/settings.js';
import {
  peerLinkToken,
  providePeerLink,
  provideSaverLinks,
  saverLinksToken,
  type LinkUse,
} from './peer-link.provider.js';
import type { PeerLink } from './peer-link.js';
import type { SaverLinks } from './saver-links.js';

/**
 * The internal hops, in one place: which peer each one reaches, the pattern its messages carry,
 * and how it retries. Both travel in batches (`processor.tasks`, `saver.results`); a module sends
 * one item at a time and gets its own answer (`ItemSend`), whatever the wire carries. A peer that
 * has no handler for batches (an older one) gets the items one by one (`single`). The client's
 * hop to the server is not here: it stays one message per task, on the client's own connections.
 */
const HOPS = {
  /** server → processor: a task, answered with its `Ack`; the client waits, so a relay's retries. */
  processor: {
    role: 'processor',
    pattern: Patterns.processorTasks,
    single: Patterns.processorTask,
    use: 'relay',
  },
  /** processor → saver: a result, answered with its `ResultReceipt`; retried until delivered. */
  saver: {
    role: 'saver',
    pattern: Patterns.saverResults,
    single: Patterns.saverResult,
    use: 'deliver',
  },
} as const satisfies Record<
  string,
  { role: PeerRole; pattern: string; single: string; use: LinkUse }
>;

export type HopName = keyof typeof HOPS;

const tokens: Record<HopName, symbol> = {
  processor: Symbol('Hop(processor)'),
  saver: Symbol('Hop(saver)'),
};

/** The hop's `ItemSend` and the `PeerLink` it uses (injectable as well, for pings). */
export const provideHop = (name: HopName): Provider[] => {
  const { role, pattern, single, use } = HOPS[name];
  if (role === 'saver')
    // Each result to its run's saver.
    return [
      provideSaverLinks(use),
      {
        provide: tokens[name],
        useFactory: (savers: SaverLinks) => savers.batched(pattern, single),
        inject: [saverLinksToken],
      },
    ];
  return [
    providePeerLink(role, use),
    {
      provide: tokens[name],
      useFactory: (link: PeerLink) => link.batched(pattern, single),
      inject: [peerLinkToken(role)],
    },
  ];
};

export const InjectHop = (name: HopName): PropertyDecorator & ParameterDecorator =>
  Inject(tokens[name]);
