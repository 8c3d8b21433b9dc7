import { Inject, type Provider } from '@nestjs/common';
import type { PeerRole, Settings } from '../settings/settings.js';
import { SETTINGS } from '../settings/settings.module.js';
import { PeerLink } from './peer-link.js';
import { relayPolicy, retryPolicy } from './request-with-retry.js';

const tokens: Record<PeerRole, symbol> = {
  server: Symbol('PeerLink(server)'),
  processor: Symbol('PeerLink(processor)'),
  saver: Symbol('PeerLink(saver)'),
};

/** How a link retries: `relay` for a caller that is waiting, `deliver` for work nobody waits on. */
export type LinkUse = 'relay' | 'deliver';

export const peerLinkToken = (role: PeerRole): symbol => tokens[role];

/**
 * Provides a `PeerLink` to `role`, built from the settings; inject it with `@InjectPeerLink(role)`.
 * A `relay` link serves a caller that is waiting: its retries fit inside that caller's timeout.
 */
export const providePeerLink = (role: PeerRole, use: LinkUse = 'deliver'): Provider => ({
  provide: tokens[role],
  useFactory: (settings: Settings) =>
    new PeerLink(settings, role, use === 'relay' ? relayPolicy(settings) : retryPolicy(settings)),
  inject: [SETTINGS],
});

export const InjectPeerLink = (role: PeerRole): PropertyDecorator & ParameterDecorator =>
  Inject(tokens[role]);
