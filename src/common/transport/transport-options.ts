import { Transport, type ClientOptions, type MicroserviceOptions } from '@nestjs/microservices';
import type { PeerRole, Settings } from '../settings/settings.js';

/**
 * The one place that knows the transport: turns (settings, role) into the options of a Nest
 * client that calls that role, or of the listener that serves it.
 */
export function clientOptions(settings: Settings, role: PeerRole): ClientOptions {
  const { host, port } = settings.peers[role];
  return { transport: Transport.TCP, options: { host, port } };
}

export function serverOptions(settings: Settings, role: PeerRole): MicroserviceOptions {
  return {
    transport: Transport.TCP,
    options: { host: settings.listenHost, port: settings.peers[role].port },
  };
}

/** The port a started listener is bound to (it differs from the setting when that was 0). */
export function listeningPort(listener: { unwrap<T>(): T }): number | undefined {
  const address = listener.unwrap<{ address(): unknown }>().address();
  return typeof address === 'object' && address !== null && 'port' in address
    ? (address as { port: number }).port
    : undefined;
}
