import 'reflect-metadata';
import { applyDecorators } from '@nestjs/common';
import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  ArrayNotEmpty,
  IsIn,
  ArrayMaxSize,
  IsInt,
  IsNotEmpty,
  IsOptional,
  MinLength,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  validateSync,
} from 'class-validator';
import { join } from 'node:path';
import {
  JOURNAL_MODES,
  RESUME_MODES,
  SAVER_FAILOVER_MODES,
  type JournalMode,
  type SaverFailover,
  type ResumeMode,
  LOG_FORMAT_NAMES,
  LOG_LEVEL_NAMES,
  MODULE_NAMES,
  TRANSPORT_NAMES,
  type LogFormatName,
  type LogLevelName,
  type Endpoint,
  type ModuleName,
  type PeerRole,
  type Settings,
  type TransportName,
} from './settings.js';
import { BATCH_ENVELOPE_BYTES, MAX_BATCH_ITEMS, MAX_RESULT_BYTES } from '../contracts/bounds.js';
import { Doc } from './doc.decorator.js';
import { readSecretFile, readTlsFiles, type TlsFiles } from './tls-files.js';

/** What the settings name by path, read at start (so a bad path stops the start). */
interface ReadFiles {
  readonly tls?: TlsFiles;
  readonly natsCredentials?: string;
}

const csv = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part.length > 0)
    : value;

const HOST = /^[A-Za-z0-9._:-]+$/;
/** `host:port`, the host as `HOST` (an IPv6 address in brackets). */
const ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$/;
const OPS_PORT_DOC = (role: string): string =>
  `HTTP port of \`/health/*\` and \`/metrics\` when the ${role} is the first of server, processor, saver that a process without the client runs; \`0\`: a free port, named in the first log line`;

/** An optional comma list of up to 64 `host:port` addresses. */
const AddressList = (): PropertyDecorator =>
  applyDecorators(
    IsOptional(),
    Transform(csv),
    ArrayNotEmpty(),
    ArrayMaxSize(64),
    Matches(ADDRESS, { each: true, message: 'each address must be host:port' }),
  );

/** A whole number from `min` to `max`, read from its decimal string. */
const Int = (min: number, max: number): PropertyDecorator =>
  applyDecorators(
    Type(() => Number),
    IsInt(),
    Min(min),
    Max(max),
  );
/** A number from `min` to `max`, fractions allowed. */
const Num = (min: number, max: number): PropertyDecorator =>
  applyDecorators(
    Type(() => Number),
    Min(min),
    Max(max),
  );
/** The largest TCP frame a setting may allow: Nest's own default limit (128 M characters). */
const MAX_FRAME = 128 * 1024 * 1024;

/** Under `OUTPUT_DIR`, the default `STATE_DIR`. */
const STATE_IN_OUTPUT = 'state';

/**
 * The environment variables this system reads: the one declaration of each setting. Its name, its
 * type and bounds (the class-validator decorators), its default (the initial value) and its meaning
 * (`@Doc`) are all here; `loadSettings` validates and maps it to `Settings`, and `settings-table.ts`
 * prints docs/SETTINGS.md from it (`npm run docs:settings`). Nothing else reads `process.env`.
 */
export class Environment {
  @Doc('which modules this process runs')
  @Transform(csv)
  @ArrayNotEmpty()
  @IsIn(MODULE_NAMES, { each: true })
  MODULES: ModuleName[] = [...MODULE_NAMES];

  @Doc('how the modules talk, the same for every module; `local`: in-process, monolith only')
  @IsIn(TRANSPORT_NAMES)
  TRANSPORT: TransportName = 'tcp';

  @Doc('address the listeners (HTTP and TCP) bind; `0.0.0.0` in containers')
  @Matches(HOST)
  LISTEN_HOST = '127.0.0.1';

  @Doc('HTTP port of the client')
  @Int(0, 65535)
  CLIENT_PORT = 5000;

  @Doc('where the server is reached (TCP)')
  @Matches(HOST)
  SERVER_HOST = '127.0.0.1';
  @Doc('port the server listens on and is reached at (TCP)')
  @Int(0, 65535)
  SERVER_PORT = 5001;

  @Doc('where the processor is reached (TCP)')
  @Matches(HOST)
  PROCESSOR_HOST = '127.0.0.1';
  @Doc('port the processor listens on and is reached at (TCP)')
  @Int(0, 65535)
  PROCESSOR_PORT = 5002;

  @Doc('where the saver is reached (TCP)')
  @Matches(HOST)
  SAVER_HOST = '127.0.0.1';
  @Doc('port the saver listens on and is reached at (TCP)')
  @Int(0, 65535)
  SAVER_PORT = 5003;

  @Doc(
    'the savers a client or processor calls on TCP, `host:port,host:port,…`; each run has one of them (its owner, a hash of its id over this list, the same order on every process). Unset: the one at `SAVER_HOST`:`SAVER_PORT`',
    { default: '(unset)' },
  )
  @AddressList()
  SAVER_ADDRESSES?: string[];
  @Doc(
    'the servers a client spreads its connections over on TCP, `host:port,…`. Unset: the one at `SERVER_HOST`:`SERVER_PORT`',
    { default: '(unset)' },
  )
  @AddressList()
  SERVER_ADDRESSES?: string[];
  @Doc(
    'how many savers share the runs on a broker transport, the same on every process; each run has one owner among them. On TCP the savers are `SAVER_ADDRESSES` (this, if given, their number)',
  )
  @Int(1, 64)
  SAVER_COUNT = 1;
  @Doc('which of the `SAVER_COUNT` savers this process runs (0-based); it serves only its own runs')
  @Int(0, 63)
  SAVER_INDEX = 0;
  @Doc(
    "`on`: every saver also stands by for the others' runs, and one takes over at once when another is lost. RabbitMQ only; needs one `OUTPUT_DIR` shared by all savers, and the same value on every process",
  )
  @IsIn(SAVER_FAILOVER_MODES)
  SAVER_FAILOVER: SaverFailover = 'off';
  @Doc(
    "a name put before every subject, queue, channel and topic on the broker, so several systems can share one broker without taking each other's messages",
    { default: '(none)' },
  )
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,40}$/, {
    message: 'BROKER_PREFIX: letters, digits, _ and -, 40 at most',
  })
  BROKER_PREFIX?: string;

  @Doc(
    'NATS server (`TRANSPORT=nats`); `nats://user:pass@host:port` or `nats://token@host:port` to log in, `tls://` to require TLS',
  )
  @IsUrl({ protocols: ['nats', 'tls', 'ws', 'wss'], require_tld: false })
  NATS_URL = 'nats://127.0.0.1:4222';
  @Doc(
    'NATS credentials file instead of a password in `NATS_URL`: a `.creds` file (JWT and nkey seed) or a file holding an nkey seed',
    { default: '(unset)' },
  )
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  NATS_CREDENTIALS?: string;
  @Doc('RabbitMQ (`TRANSPORT=rmq`); `amqps://` for TLS')
  @IsUrl({ protocols: ['amqp', 'amqps'], require_tld: false })
  RMQ_URL = 'amqp://guest:guest@127.0.0.1:5672';
  @Doc(
    'Redis (`TRANSPORT=redis`); `redis://user:pass@host:port` for an ACL user, `rediss://` for TLS',
  )
  @IsUrl({ protocols: ['redis', 'rediss'], require_tld: false })
  REDIS_URL = 'redis://127.0.0.1:6379';
  @Doc(
    'MQTT broker, e.g. Mosquitto (`TRANSPORT=mqtt`); `mqtt://user:pass@host:port` to log in, `mqtts://` for TLS',
  )
  @IsUrl({ protocols: ['mqtt', 'mqtts', 'ws', 'wss', 'tcp'], require_tld: false })
  MQTT_URL = 'mqtt://127.0.0.1:1883';
  @Doc(
    'unacknowledged RabbitMQ messages one consumer may hold (a processor holds each task until its result is with the saver)',
  )
  @Int(1, 65_535)
  RMQ_PREFETCH = 10_000;

  @Doc('where the saver writes the run files')
  @IsString()
  @IsNotEmpty()
  OUTPUT_DIR = './data';

  @Doc(
    'a secret the HTTP API asks for on every route that starts, cancels or reads runs (`Authorization: Bearer …`, or `?access_token=` for a browser); 16 characters or more. Unset: the API is open. `/health/*` stays open',
    { default: '(unset)' },
  )
  @IsOptional()
  @IsString()
  @MinLength(16)
  API_TOKEN?: string;
  @Doc('a secret `/metrics` asks for, as `API_TOKEN`; unset: `/metrics` is open', {
    default: '(unset)',
  })
  @IsOptional()
  @IsString()
  @MinLength(16)
  METRICS_TOKEN?: string;
  @Doc(
    "PEM file of the certificate authority for mutual TLS on every TCP link (with `TLS_CERT` and `TLS_KEY`: each listener asks for a client certificate it signed, each client presents its own and checks the listener's); on a broker transport, the CA the broker's certificate is checked against, and `TLS_CERT` the certificate presented to it",
    { default: '(unset)' },
  )
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  TLS_CA?: string;
  @Doc("PEM file of this process's certificate, signed by `TLS_CA`, for the names its peers dial", {
    default: '(unset)',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  TLS_CERT?: string;
  @Doc('PEM file of the private key of `TLS_CERT`', { default: '(unset)' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  TLS_KEY?: string;
  @Doc(
    'a secret of 32 characters or more that signs every internal message (HMAC-SHA256); a process with a key refuses a message unsigned or signed otherwise. The same on every process of a system. Unset: messages go unsigned and unchecked',
    { default: '(unset)' },
  )
  @IsOptional()
  @IsString()
  @MinLength(32)
  MESSAGE_KEY?: string;
  @Doc(
    'instead of `MESSAGE_KEY`, to rotate: `id:secret,id:secret`; the first signs, every one is accepted',
    { default: '(unset)' },
  )
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  MESSAGE_KEYS?: string;

  @Doc('the client\'s run journal and report data (README, "Restarts"); one client per folder', {
    default: `<OUTPUT_DIR>/${STATE_IN_OUTPUT}`,
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  STATE_DIR?: string;
  @Doc(
    '`fsync`: each group of journal records is synced before its tasks leave; `write`: written to the OS only (survives a killed process, not a crashed machine); `off`: no journal',
  )
  @IsIn(JOURNAL_MODES)
  JOURNAL: JournalMode = 'fsync';
  @Doc('unfinished runs found at start: `auto` resumes them, `off` ends them `interrupted`')
  @IsIn(RESUME_MODES)
  RESUME_RUNS: ResumeMode = 'auto';
  @Doc('ended runs kept in the history (listed, viewed, reported across restarts), at most')
  @Int(1, 100_000)
  RUN_HISTORY_MAX = 1000;
  @Doc('ended runs older than this many days leave the history (0: no age limit)')
  @Num(0, 36_500)
  RUN_HISTORY_DAYS = 30;

  @Doc('upper bound of `connection_count`')
  @Int(1, 10_000)
  MAX_CONNECTIONS = 1000;
  @Doc('upper bound of `connection_value`')
  @Int(1, 10_000_000)
  MAX_VALUES = 10_000;
  @Doc('upper bound of `connection_count × connection_value`')
  @Int(1, 10_000_000)
  MAX_TASKS = 1_000_000;
  @Doc('upper bound of `delay_range`, seconds')
  @Num(0, 3600)
  MAX_DELAY = 60;

  @Doc('admission control over the whole client: runs active at once')
  @Int(1, 10_000)
  MAX_ACTIVE_RUNS = 8;
  @Doc("admission control: the active runs' tasks added up (a run alone always fits)")
  @Int(1, 100_000_000)
  MAX_ACTIVE_TASKS = 2_000_000;
  @Doc('runs waiting for their turn (state `queued`); one more gets 429 with `Retry-After`')
  @Int(0, 100_000)
  MAX_QUEUED_RUNS = 16;
  @Doc(
    "a run's tasks sent and not yet written, at most; also the saver's reorder capacity. A run with delays up to D s goes at most `REORDER_WINDOW / D` tasks/s",
  )
  @Int(1, 10_000_000)
  REORDER_WINDOW = 50_000;
  @Doc(
    'tasks sent and not yet written over every run of one client (runs share it in turn; one run alone may use up to `REORDER_WINDOW`)',
  )
  @Int(1, 10_000_000)
  MAX_UNWRITTEN_TASKS = 50_000;
  @Doc(
    'tasks one processor holds (waiting out their delay or for the saver); the next one waits up to a quarter of `REQUEST_TIMEOUT_MS`, then is refused for now',
  )
  @Int(1, 10_000_000)
  PROCESSOR_MAX_HELD = 50_000;

  @Doc('requests in flight on one client connection')
  @Int(1, 10_000)
  SEND_WINDOW = 64;
  @Doc(
    'requests in flight for one run over all its connections (each connection gets fewer when there are many)',
  )
  @Int(1, 1_000_000)
  RUN_WINDOW = 4096;
  @Doc('requests in flight on one connection of an internal hop')
  @Int(1, 10_000)
  LINK_WINDOW = 256;
  @Doc(
    'connections each internal hop (server → processor, processor → saver) spreads its requests over',
  )
  @Int(1, 64)
  LINK_SOCKETS = 4;
  @Doc(
    'requests waiting for a slot on one connection of an internal hop, and items waiting to leave in a batch; one more is refused for now',
  )
  @Int(1, 1_000_000)
  LINK_QUEUE = 4096;
  @Doc(
    'tasks (server → processor) or results (processor → saver) in one message, at most; on TCP also no more than fit in `TCP_MAX_FRAME_BYTES`',
  )
  @Int(1, MAX_BATCH_ITEMS)
  HOP_BATCH_MAX = 64;

  @Doc(
    'one attempt of a request waits this long for its answer; a relay (server → processor) spends at most half of it',
  )
  @Int(100, 600_000)
  REQUEST_TIMEOUT_MS = 10_000;
  @Doc(
    'transport failures are retried this long after the peer last answered, then the run fails with the last error; not less than `REQUEST_TIMEOUT_MS`',
  )
  @Int(100, 3_600_000)
  DELIVERY_TIMEOUT_MS = 60_000;
  @Doc('retries after a transport failure, at most (`DELIVERY_TIMEOUT_MS` usually ends them first)')
  @Int(0, 1_000_000)
  RETRY_ATTEMPTS = 1000;
  @Doc('first backoff of a retry, growing exponentially with jitter; not more than `RETRY_MAX_MS`')
  @Int(1, 60_000)
  RETRY_BASE_MS = 100;
  @Doc('longest backoff between two retries')
  @Int(1, 600_000)
  RETRY_MAX_MS = 3000;
  @Doc('a run that has not moved for `delay_range` + this is repaired')
  @Int(0, 600_000)
  REPAIR_GRACE_MS = 2000;
  @Doc('repair rounds in a row without progress before a run is `failed`')
  @Int(0, 1000)
  REPAIR_ROUNDS = 5;
  @Doc('how often the client asks the saver about a run it follows')
  @Int(5, 60_000)
  STATUS_POLL_MS = 50;

  @Doc('a batch of released lines is written after at most this long')
  @Int(0, 10_000)
  SAVER_FLUSH_MS = 5;
  @Doc('a batch of released lines is written once it has this many lines')
  @Int(1, 1_000_000)
  SAVER_BATCH_MAX = 5000;
  @Doc(
    'a run that receives nothing for this long is closed at the saver (its file reopens on the next message)',
  )
  @Int(1000, 86_400_000)
  SAVER_IDLE_MS = 600_000;
  @Doc(
    "run files open at once at the saver; the one holding fewest results behind a gap is closed first (keep it above the clients' `MAX_ACTIVE_RUNS`)",
  )
  @Int(1, 100_000)
  SAVER_MAX_OPEN_RUNS = 256;
  @Doc(
    "results held behind a gap over every run of the saver (about 260 bytes each); one more is refused for now (keep it above the sum of the clients' `MAX_UNWRITTEN_TASKS`)",
  )
  @Int(1, 10_000_000)
  SAVER_MAX_HELD = 100_000;
  @Doc(
    'a stop lets work in flight finish for this long; the process exits within this + 1 s whatever is still running',
  )
  @Int(0, 600_000)
  SHUTDOWN_TIMEOUT_MS = 10_000;

  // TCP edge: limits on what a peer may send a listener (requests) or a client (replies).
  @Doc(
    'longest request frame a TCP listener reads (requests are under 1 KB); a connection announcing more is closed',
  )
  @Int(1024, MAX_FRAME)
  TCP_MAX_FRAME_BYTES = 64 * 1024;
  @Doc('longest reply frame a TCP client reads (a saver status lists up to 1,000,000 missing seqs)')
  @Int(1024, MAX_FRAME)
  TCP_MAX_REPLY_BYTES = 16 * 1024 * 1024;
  @Doc(
    'open connections per TCP listener; more are closed as they come (a run opens up to `MAX_CONNECTIONS` to the server)',
  )
  @Int(1, 1_000_000)
  TCP_MAX_CONNECTIONS = 2048;
  @Doc(
    'a TCP peer that stops in the middle of a frame for this long is disconnected (one idle between frames stays)',
  )
  @Int(10, 3_600_000)
  TCP_IDLE_TIMEOUT_MS = 30_000;

  @Doc('the most detailed level logged')
  @IsIn(LOG_LEVEL_NAMES)
  LOG_LEVEL: LogLevelName = 'log';

  @Doc('`json` lines, `pretty` lines, or `auto`: pretty when stdout is a terminal, JSON otherwise')
  @IsIn(LOG_FORMAT_NAMES)
  LOG_FORMAT: LogFormatName = 'auto';

  // Health and metrics of a process that does not run the client (which serves them on CLIENT_PORT).
  @Doc(OPS_PORT_DOC('server'))
  @Int(0, 65535)
  SERVER_OPS_PORT = 5011;
  @Doc(OPS_PORT_DOC('processor'))
  @Int(0, 65535)
  PROCESSOR_OPS_PORT = 5012;
  @Doc(OPS_PORT_DOC('saver'))
  @Int(0, 65535)
  SAVER_OPS_PORT = 5013;
}

/** Thrown when the environment holds a bad value; the message names every bad variable. */
export class InvalidSettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid settings:\n  - ${problems.join('\n  - ')}`);
    this.name = InvalidSettingsError.name;
  }
}

/** Reads, validates and types the settings. Unknown variables are ignored; empty ones mean "default". */
export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  const known = Object.keys(new Environment());
  const given = Object.fromEntries(
    known.filter((key) => env[key] !== undefined && env[key] !== '').map((key) => [key, env[key]]),
  );
  const parsed = plainToInstance(Environment, given);
  const errors = validateSync(parsed, { forbidUnknownValues: true });
  // One line per variable, with every reason it breaks and the value it had.
  const problems = errors.map(
    (error) =>
      `${Object.values(error.constraints ?? {}).join('; ')} (got ${shown(error.property, given[error.property])})`,
  );
  if (
    parsed.TRANSPORT === 'local' &&
    !MODULE_NAMES.every((name) => parsed.MODULES.includes(name))
  ) {
    problems.push('TRANSPORT=local runs in one process only: MODULES must name all four modules');
  }
  if (parsed.SAVER_INDEX >= parsed.SAVER_COUNT) {
    problems.push(`SAVER_INDEX must be below SAVER_COUNT (${parsed.SAVER_COUNT})`);
  }
  if (
    parsed.TRANSPORT === 'tcp' &&
    parsed.SAVER_COUNT !== 1 &&
    parsed.SAVER_COUNT !== parsed.SAVER_ADDRESSES?.length
  ) {
    problems.push(
      'on TCP the savers are SAVER_ADDRESSES (one address each): SAVER_COUNT, if given, must be their number',
    );
  }
  if (parsed.SAVER_FAILOVER === 'on' && parsed.TRANSPORT !== 'rmq') {
    problems.push(
      "SAVER_FAILOVER=on needs TRANSPORT=rmq (a saver stands by on the others' RabbitMQ queues)",
    );
  }
  if (parsed.TRANSPORT === 'local' && parsed.SAVER_COUNT > 1) {
    problems.push('TRANSPORT=local has one saver: SAVER_COUNT must be 1');
  }
  if (parsed.DELIVERY_TIMEOUT_MS < parsed.REQUEST_TIMEOUT_MS) {
    problems.push('DELIVERY_TIMEOUT_MS must not be less than REQUEST_TIMEOUT_MS');
  }
  if (parsed.RETRY_BASE_MS > parsed.RETRY_MAX_MS) {
    problems.push('RETRY_BASE_MS must not be greater than RETRY_MAX_MS');
  }
  problems.push(...messageKeysOf(parsed).problems);
  const tls = readTlsFiles(parsed);
  problems.push(...tls.problems);
  const natsCredentials = readSecretFile('NATS_CREDENTIALS', parsed.NATS_CREDENTIALS);
  problems.push(...natsCredentials.problems);
  if (problems.length > 0) {
    throw new InvalidSettingsError(problems);
  }
  return toSettings(parsed, { tls: tls.files, natsCredentials: natsCredentials.text });
}

/** Settings whose values are secrets: an error gives their length, never their value. */
const SECRETS = new Set(['API_TOKEN', 'METRICS_TOKEN', 'MESSAGE_KEY', 'MESSAGE_KEYS']);

/** Key ids: what a signature names, so nothing that needs quoting. */
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const MIN_KEY_LENGTH = 32;

/** MESSAGE_KEYS (or MESSAGE_KEY, as the one key `main`), the first signing; the problems, if any. */
function messageKeysOf(env: Environment): {
  keys: { readonly id: string; readonly secret: string }[];
  problems: string[];
} {
  if (env.MESSAGE_KEY !== undefined && env.MESSAGE_KEYS !== undefined)
    return { keys: [], problems: ['give MESSAGE_KEY or MESSAGE_KEYS, not both'] };
  if (env.MESSAGE_KEY !== undefined)
    return { keys: [{ id: 'main', secret: env.MESSAGE_KEY }], problems: [] };
  if (env.MESSAGE_KEYS === undefined) return { keys: [], problems: [] };
  const keys = env.MESSAGE_KEYS.split(',').map((entry, at) => {
    const colon = entry.indexOf(':');
    return { id: colon < 0 ? '' : entry.slice(0, colon), secret: entry.slice(colon + 1), at };
  });
  const problems = keys.flatMap(({ id, secret, at }) => [
    ...(KEY_ID.test(id)
      ? []
      : [`MESSAGE_KEYS: key ${at + 1} needs an id (letters, digits, _ or -) then ':'`]),
    ...(secret.length >= MIN_KEY_LENGTH
      ? []
      : [
          `MESSAGE_KEYS: the secret of key ${at + 1} must be ${MIN_KEY_LENGTH} characters or more (got ${secret.length})`,
        ]),
  ]);
  if (new Set(keys.map(({ id }) => id)).size !== keys.length)
    problems.push('MESSAGE_KEYS: each key id once');
  return { keys: keys.map(({ id, secret }) => ({ id, secret })), problems };
}

const shown = (name: string, value: unknown): string =>
  SECRETS.has(name) && typeof value === 'string'
    ? `a secret of ${value.length} characters`
    : JSON.stringify(value);

/** HOP_BATCH_MAX, and on TCP no more results than fit in one frame of TCP_MAX_FRAME_BYTES. */
function hopBatchMax(env: Environment): number {
  if (env.TRANSPORT !== 'tcp') return env.HOP_BATCH_MAX;
  const fit = Math.floor((env.TCP_MAX_FRAME_BYTES - BATCH_ENVELOPE_BYTES) / MAX_RESULT_BYTES);
  return Math.max(1, Math.min(env.HOP_BATCH_MAX, fit));
}

/** `host:port` (a bracketed IPv6 host loses its brackets) as an endpoint. */
function endpointOf(address: string): Endpoint {
  const at = address.lastIndexOf(':');
  return {
    host: address.slice(0, at).replace(/^\[(.*)\]$/, '$1'),
    port: Number(address.slice(at + 1)),
  };
}

/** The one mapping from variables to the shape the code uses; `Settings` is its type. */
export function toSettings(env: Environment, files: ReadFiles = {}) {
  const levelIndex = LOG_LEVEL_NAMES.indexOf(env.LOG_LEVEL);
  return {
    transport: env.TRANSPORT,
    modules: [...new Set(env.MODULES)],
    listenHost: env.LISTEN_HOST,
    clientPort: env.CLIENT_PORT,
    /** Where each peer role is reached (and, for a role started here, the port it listens on). */
    peers: {
      server: { host: env.SERVER_HOST, port: env.SERVER_PORT },
      processor: { host: env.PROCESSOR_HOST, port: env.PROCESSOR_PORT },
      saver: { host: env.SAVER_HOST, port: env.SAVER_PORT },
    } satisfies Record<PeerRole, Endpoint>,
    /**
     * The savers that share the runs, each run owned by one (`ownerOf`). On TCP, their addresses
     * (unset: the `saver` peer alone); on a broker, how many there are and which one runs here.
     */
    savers: {
      addresses: env.SAVER_ADDRESSES?.map(endpointOf),
      count: env.TRANSPORT === 'tcp' ? (env.SAVER_ADDRESSES?.length ?? 1) : env.SAVER_COUNT,
      index: env.SAVER_INDEX,
      /** Each saver also stands by on the others' queues, one OUTPUT_DIR shared (RabbitMQ). */
      failover: env.SAVER_FAILOVER === 'on',
    },
    /** The servers a client spreads its connections over on TCP (unset: the `server` peer). */
    serverAddresses: env.SERVER_ADDRESSES?.map(endpointOf),
    brokers: {
      /** Put before every name on the broker ('' for none). */
      prefix: env.BROKER_PREFIX ?? '',
      natsUrl: env.NATS_URL,
      rmqUrl: env.RMQ_URL,
      redisUrl: env.REDIS_URL,
      mqttUrl: env.MQTT_URL,
      /** The text of NATS_CREDENTIALS (a .creds file or an nkey seed); undefined: none. */
      natsCredentials: files.natsCredentials,
      rmqPrefetch: env.RMQ_PREFETCH,
    },
    outputDir: env.OUTPUT_DIR,
    state: {
      dir: env.STATE_DIR ?? join(env.OUTPUT_DIR, STATE_IN_OUTPUT),
      journal: env.JOURNAL,
      resume: env.RESUME_RUNS,
      historyMax: env.RUN_HISTORY_MAX,
      historyDays: env.RUN_HISTORY_DAYS,
    },
    limits: {
      maxConnections: env.MAX_CONNECTIONS,
      maxValues: env.MAX_VALUES,
      maxTasks: env.MAX_TASKS,
      maxDelaySeconds: env.MAX_DELAY,
    },
    sendWindow: env.SEND_WINDOW,
    runWindow: env.RUN_WINDOW,
    linkWindow: env.LINK_WINDOW,
    linkSockets: env.LINK_SOCKETS,
    linkQueue: env.LINK_QUEUE,
    /** `HOP_BATCH_MAX`, on TCP no more than fit in one frame. */
    hopBatchMax: hopBatchMax(env),
    reorderWindow: env.REORDER_WINDOW,
    maxUnwrittenTasks: env.MAX_UNWRITTEN_TASKS,
    admission: {
      maxActiveRuns: env.MAX_ACTIVE_RUNS,
      maxActiveTasks: env.MAX_ACTIVE_TASKS,
      maxQueuedRuns: env.MAX_QUEUED_RUNS,
    },
    processorMaxHeld: env.PROCESSOR_MAX_HELD,
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    deliveryTimeoutMs: env.DELIVERY_TIMEOUT_MS,
    retry: { attempts: env.RETRY_ATTEMPTS, baseMs: env.RETRY_BASE_MS, maxMs: env.RETRY_MAX_MS },
    repair: { graceMs: env.REPAIR_GRACE_MS, rounds: env.REPAIR_ROUNDS },
    statusPollMs: env.STATUS_POLL_MS,
    saver: {
      batchMax: env.SAVER_BATCH_MAX,
      flushMs: env.SAVER_FLUSH_MS,
      idleMs: env.SAVER_IDLE_MS,
      maxOpenRuns: env.SAVER_MAX_OPEN_RUNS,
      maxHeld: env.SAVER_MAX_HELD,
    },
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    tcp: {
      maxFrameBytes: env.TCP_MAX_FRAME_BYTES,
      maxReplyBytes: env.TCP_MAX_REPLY_BYTES,
      maxConnections: env.TCP_MAX_CONNECTIONS,
      idleTimeoutMs: env.TCP_IDLE_TIMEOUT_MS,
    },
    /** Every level up to `LOG_LEVEL`. */
    logLevels: LOG_LEVEL_NAMES.slice(0, levelIndex + 1),
    logFormat: env.LOG_FORMAT,
    /** Secrets the HTTP routes ask for; undefined: open. */
    access: { apiToken: env.API_TOKEN, metricsToken: env.METRICS_TOKEN },
    /** Keys of the internal messages' signatures, the first signing; none: unsigned. */
    messageKeys: messageKeysOf(env).keys,
    /** Mutual TLS on the TCP links, or TLS towards the broker (PEM texts); undefined: none. */
    tls: files.tls,
    opsPorts: {
      server: env.SERVER_OPS_PORT,
      processor: env.PROCESSOR_OPS_PORT,
      saver: env.SAVER_OPS_PORT,
    } satisfies Record<PeerRole, number>,
  };
}
