import { Inject, type Provider } from '@nestjs/common';
import type { PeerRole, Settings } from '../settings/settings.js';
import { SETTINGS } from '../settings/settings.module.js';
import { PeerLink } from './peer-link.js';

const tokens: Record<PeerRole, symbol> = {
  server: Symbol('PeerLink(server)'),
  processor: Symbol('PeerLink(processor)'),
  saver: Symbol('PeerLink(saver)'),
};

/** Provides a `PeerLink` to `role`, built from the settings; inject it with `@InjectPeerLink(role)`. */
export const providePeerLink = (role: PeerRole): Provider => ({
  provide: tokens[role],
  useFactory: (settings: Settings) => new PeerLink(settings, role),
  inject: [SETTINGS],
});

export const InjectPeerLink = (role: PeerRole): PropertyDecorator & ParameterDecorator =>
  Inject(tokens[role]);
