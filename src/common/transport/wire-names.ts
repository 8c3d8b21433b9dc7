import type { MessageHandler, MsPattern } from '@nestjs/microservices';
import type { PeerRole, Settings } from '../settings/settings.js';

/**
 * What a pattern is called on a broker. Two things go into the name: `BROKER_PREFIX`, so that
 * systems sharing a broker never take each other's messages, and, with several savers, the
 * saver's index after each of the saver's patterns (`saver.results.2`), so that each saver gets
 * its own runs' messages only. With neither, the name is the pattern, as Nest has it. TCP
 * reaches a saver by its address and needs neither.
 */
export type WireName = (pattern: string) => string;

const AS_IS: WireName = (pattern) => pattern;

/** The shard a link to `role` or a listener of it is for: a saver's index when there are several. */
export const shardOf = (settings: Settings, role: PeerRole, saver: number): number | undefined =>
  role === 'saver' && settings.savers.count > 1 ? saver : undefined;

/** The names patterns of `role` have on the wire, for saver `saver` (when `role` is the saver). */
export function wireNameOf(settings: Settings, role: PeerRole, saver = 0): WireName {
  if (settings.transport === 'tcp' || settings.transport === 'local') return AS_IS;
  const prefix = settings.brokers.prefix ? `${settings.brokers.prefix}.` : '';
  const shard = shardOf(settings, role, saver);
  const suffix = shard === undefined ? '' : `.${shard}`;
  return prefix || suffix ? (pattern) => `${prefix}${pattern}${suffix}` : AS_IS;
}

/**
 * The name of `role`'s queue (RabbitMQ) or group (NATS, MQTT), which its replicas share; each
 * saver its own.
 */
export function groupOf(settings: Settings, role: PeerRole, saver = 0): string {
  const shard = shardOf(settings, role, saver);
  return [settings.brokers.prefix || undefined, 'ordered-pipeline', role, shard]
    .filter((part) => part !== undefined)
    .join('.');
}

// A mixin's base must be taken as a constructor of any arguments (TypeScript's rule for mixins).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Constructor<T> = new (...args: any[]) => T;

interface HandlerRegistry {
  addHandler(
    pattern: unknown,
    callback: MessageHandler,
    isEventHandler?: boolean,
    extras?: Record<string, unknown>,
  ): void;
}

/**
 * A Nest listener that registers each handler under its wire name, so it subscribes to those
 * names and finds the handler by the name a message arrives on. `wireName` is set before Nest
 * registers the handlers (`serverOptions`).
 */
export function withWireNames<T extends Constructor<HandlerRegistry>>(Base: T) {
  return class WireNamedServer extends Base {
    wireName: WireName = AS_IS;

    override addHandler(
      pattern: unknown,
      callback: MessageHandler,
      isEventHandler?: boolean,
      extras?: Record<string, unknown>,
    ): void {
      const named = typeof pattern === 'string' ? this.wireName(pattern) : pattern;
      super.addHandler(named, callback, isEventHandler, extras);
    }
  };
}

interface NestClient {
  normalizePattern(this: unknown, pattern: MsPattern): string;
}

const namedClients = new WeakMap<object, Map<string, unknown>>();

/**
 * A Nest client class that sends each pattern under its wire name (Nest's clients name the
 * subject, channel or topic with `normalizePattern`), made once per class and name.
 */
export function clientWithWireNames<T extends Constructor<object>>(Base: T, wireName: WireName): T {
  if (wireName === AS_IS) return Base;
  // The name of the empty pattern tells one naming from another (its prefix and suffix).
  const key = wireName('');
  const made = namedClients.get(Base) ?? new Map<string, unknown>();
  namedClients.set(Base, made);
  const known = made.get(key);
  if (known) return known as T;
  // Nest's normalizePattern is protected, which a mixin's type cannot name: called through the
  // prototype it overrides.
  const nest = Base.prototype as unknown as NestClient;
  const Named = class WireNamedClient extends Base {
    normalizePattern(pattern: MsPattern): string {
      return wireName(nest.normalizePattern.call(this, pattern));
    }
  };
  made.set(key, Named);
  return Named;
}
