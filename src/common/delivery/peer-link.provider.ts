import { Inject, type Provider } from '@nestjs/common';
import type { PeerRole, Settings } from '../settings/settings.js';
import { SETTINGS } from '../settings/settings.module.js';
import { PeerLink } from './peer-link.js';
import { relayPolicy, retryPolicy } from './request-with-retry.js';
import { SaverLinks } from './saver-links.js';

/** The roles reached through one link; the savers, through `SaverLinks`. */
type LinkedRole = Exclude<PeerRole, 'saver'>;

const tokens: Record<LinkedRole, symbol> = {
  server: Symbol('PeerLink(server)'),
  processor: Symbol('PeerLink(processor)'),
};

/** How a link retries: `relay` for a caller that is waiting, `deliver` for work nobody waits on. */
export type LinkUse = 'relay' | 'deliver';

export const peerLinkToken = (role: LinkedRole): symbol => tokens[role];

/**
 * Provides a `PeerLink` to `role`, built from the settings; inject it with `@InjectPeerLink(role)`.
 * A `relay` link serves a caller that is waiting: its retries fit inside that caller's timeout.
 */
export const providePeerLink = (role: LinkedRole, use: LinkUse = 'deliver'): Provider => ({
  provide: tokens[role],
  useFactory: (settings: Settings) =>
    new PeerLink(settings, role, use === 'relay' ? relayPolicy(settings) : retryPolicy(settings)),
  inject: [SETTINGS],
});

export const InjectPeerLink = (role: LinkedRole): PropertyDecorator & ParameterDecorator =>
  Inject(tokens[role]);

const SAVER_LINKS = Symbol('SaverLinks');

/** Provides the links to the savers (`SaverLinks`); inject them with `@InjectSaverLinks()`. */
export const provideSaverLinks = (use: LinkUse = 'deliver'): Provider => ({
  provide: SAVER_LINKS,
  useFactory: (settings: Settings) =>
    new SaverLinks(settings, use === 'relay' ? relayPolicy(settings) : retryPolicy(settings)),
  inject: [SETTINGS],
});

export const saverLinksToken = SAVER_LINKS;

export const InjectSaverLinks = (): PropertyDecorator & ParameterDecorator => Inject(SAVER_LINKS);
