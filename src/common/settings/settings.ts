import type { toSettings } from './environment.js';

/** Names of the four modules a process can start (the `MODULES` setting). */
export const MODULE_NAMES = ['client', 'server', 'processor', 'saver'] as const;
export type ModuleName = (typeof MODULE_NAMES)[number];

/** Modules that other modules call through a transport (the client is reached over HTTP only). */
export type PeerRole = Exclude<ModuleName, 'client'>;

export const TRANSPORT_NAMES = ['tcp', 'nats', 'rmq', 'redis', 'mqtt', 'local'] as const;
export type TransportName = (typeof TRANSPORT_NAMES)[number];

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/**
 * Validated, typed settings, as `loadSettings` builds them once from the environment: the shape of
 * `toSettings`, read-only (as `ConfigType<typeof config>` is the shape of a `registerAs` factory in
 * @nestjs/config). What each field means: the `@Doc` of the variable it comes from (`Environment`).
 */
export type Settings = DeepReadonly<ReturnType<typeof toSettings>>;

type DeepReadonly<T> = T extends readonly (infer Item)[]
  ? readonly DeepReadonly<Item>[]
  : T extends object
    ? { readonly [Key in keyof T]: DeepReadonly<T[Key]> }
    : T;

/** `fsync`: every group of journal records is synced before its tasks leave; `write`: written to the OS only; `off`: no journal. */
export const JOURNAL_MODES = ['fsync', 'write', 'off'] as const;
export type JournalMode = (typeof JOURNAL_MODES)[number];

/** `on`: each saver stands by on the others' queues and takes a lost one's runs over (RabbitMQ). */
export const SAVER_FAILOVER_MODES = ['off', 'on'] as const;
export type SaverFailover = (typeof SAVER_FAILOVER_MODES)[number];

export const RESUME_MODES = ['auto', 'off'] as const;
export type ResumeMode = (typeof RESUME_MODES)[number];

export const LOG_LEVEL_NAMES = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevelName = (typeof LOG_LEVEL_NAMES)[number];

export const LOG_FORMAT_NAMES = ['auto', 'json', 'pretty'] as const;
export type LogFormatName = (typeof LOG_FORMAT_NAMES)[number];
