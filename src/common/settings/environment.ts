import 'reflect-metadata';
import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  ArrayNotEmpty,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
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
  type JournalMode,
  type ResumeMode,
  LOG_FORMAT_NAMES,
  LOG_LEVEL_NAMES,
  MODULE_NAMES,
  TRANSPORT_NAMES,
  type LogFormatName,
  type LogLevelName,
  type ModuleName,
  type Settings,
  type TransportName,
} from './settings.js';
import { BATCH_ENVELOPE_BYTES, MAX_BATCH_ITEMS, MAX_RESULT_BYTES } from '../contracts/guards.js';

const csv = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part.length > 0)
    : value;

const HOST = /^[A-Za-z0-9._:-]+$/;
/** The largest TCP frame a setting may allow: Nest's own default limit (128 M characters). */
const MAX_FRAME = 128 * 1024 * 1024;

/**
 * The environment variables this system reads, with their defaults.
 * Validated once at start-up by `loadSettings`; nothing else reads `process.env`.
 */
export class Environment {
  @IsIn(TRANSPORT_NAMES)
  TRANSPORT: TransportName = 'tcp';

  @Transform(csv)
  @ArrayNotEmpty()
  @IsIn(MODULE_NAMES, { each: true })
  MODULES: ModuleName[] = [...MODULE_NAMES];

  @Matches(HOST)
  LISTEN_HOST = '127.0.0.1';

  @Type(() => Number) @IsInt() @Min(0) @Max(65535) CLIENT_PORT = 5000;

  @Matches(HOST) SERVER_HOST = '127.0.0.1';
  @Type(() => Number) @IsInt() @Min(0) @Max(65535) SERVER_PORT = 5001;

  @Matches(HOST) PROCESSOR_HOST = '127.0.0.1';
  @Type(() => Number) @IsInt() @Min(0) @Max(65535) PROCESSOR_PORT = 5002;

  @Matches(HOST) SAVER_HOST = '127.0.0.1';
  @Type(() => Number) @IsInt() @Min(0) @Max(65535) SAVER_PORT = 5003;

  @IsUrl({ protocols: ['nats', 'tls', 'ws', 'wss'], require_tld: false }) NATS_URL =
    'nats://127.0.0.1:4222';
  @IsUrl({ protocols: ['amqp', 'amqps'], require_tld: false }) RMQ_URL =
    'amqp://guest:guest@127.0.0.1:5672';
  @IsUrl({ protocols: ['redis', 'rediss'], require_tld: false }) REDIS_URL =
    'redis://127.0.0.1:6379';
  @IsUrl({ protocols: ['mqtt', 'mqtts', 'ws', 'wss', 'tcp'], require_tld: false }) MQTT_URL =
    'mqtt://127.0.0.1:1883';
  @Type(() => Number) @IsInt() @Min(1) @Max(65_535) RMQ_PREFETCH = 10_000;

  @IsString() @IsNotEmpty() OUTPUT_DIR = './data';

  // The client's run journal: where it lives (default `<OUTPUT_DIR>/state`), how it is written,
  // whether unfinished runs resume at start, and how much history it keeps.
  @IsOptional() @IsString() @IsNotEmpty() STATE_DIR?: string;
  @IsIn(JOURNAL_MODES) JOURNAL: JournalMode = 'fsync';
  @IsIn(RESUME_MODES) RESUME_RUNS: ResumeMode = 'auto';
  @Type(() => Number) @IsInt() @Min(1) @Max(100_000) RUN_HISTORY_MAX = 1000;
  @Type(() => Number) @Min(0) @Max(36_500) RUN_HISTORY_DAYS = 30;

  @Type(() => Number) @IsInt() @Min(1) @Max(10_000) MAX_CONNECTIONS = 1000;
  @Type(() => Number) @IsInt() @Min(1) @Max(10_000_000) MAX_VALUES = 10_000;
  @Type(() => Number) @IsInt() @Min(1) @Max(10_000_000) MAX_TASKS = 1_000_000;
  @Type(() => Number) @Min(0) @Max(3600) MAX_DELAY = 60;

  @Type(() => Number) @IsInt() @Min(1) @Max(10_000) SEND_WINDOW = 64;
  @Type(() => Number) @IsInt() @Min(1) @Max(1_000_000) RUN_WINDOW = 4096;
  @Type(() => Number) @IsInt() @Min(1) @Max(10_000) LINK_WINDOW = 256;
  @Type(() => Number) @IsInt() @Min(1) @Max(64) LINK_SOCKETS = 4;
  @Type(() => Number) @IsInt() @Min(100) @Max(600_000) REQUEST_TIMEOUT_MS = 10_000;
  @Type(() => Number) @IsInt() @Min(0) @Max(1_000_000) RETRY_ATTEMPTS = 1000;
  @Type(() => Number) @IsInt() @Min(100) @Max(3_600_000) DELIVERY_TIMEOUT_MS = 60_000;
  @Type(() => Number) @IsInt() @Min(1) @Max(1_000_000) LINK_QUEUE = 4096;
  @Type(() => Number) @IsInt() @Min(1) @Max(MAX_BATCH_ITEMS) HOP_BATCH_MAX = 64;
  @Type(() => Number) @IsInt() @Min(1) @Max(10_000_000) REORDER_WINDOW = 50_000;
  @Type(() => Number) @IsInt() @Min(1) @Max(10_000_000) MAX_UNWRITTEN_TASKS = 50_000;
  @Type(() => Number) @IsInt() @Min(1) @Max(10_000) MAX_ACTIVE_RUNS = 8;
  @Type(() => Number) @IsInt() @Min(1) @Max(100_000_000) MAX_ACTIVE_TASKS = 2_000_000;
  @Type(() => Number) @IsInt() @Min(0) @Max(100_000) MAX_QUEUED_RUNS = 16;
  @Type(() => Number) @IsInt() @Min(1) @Max(10_000_000) PROCESSOR_MAX_HELD = 50_000;
  @Type(() => Number) @IsInt() @Min(1) @Max(100_000) SAVER_MAX_OPEN_RUNS = 256;
  @Type(() => Number) @IsInt() @Min(1) @Max(10_000_000) SAVER_MAX_HELD = 100_000;
  @Type(() => Number) @IsInt() @Min(1) @Max(60_000) RETRY_BASE_MS = 100;
  @Type(() => Number) @IsInt() @Min(1) @Max(600_000) RETRY_MAX_MS = 3000;
  @Type(() => Number) @IsInt() @Min(0) @Max(600_000) REPAIR_GRACE_MS = 2000;
  @Type(() => Number) @IsInt() @Min(0) @Max(1000) REPAIR_ROUNDS = 5;
  @Type(() => Number) @IsInt() @Min(5) @Max(60_000) STATUS_POLL_MS = 50;
  @Type(() => Number) @IsInt() @Min(1) @Max(1_000_000) SAVER_BATCH_MAX = 5000;
  @Type(() => Number) @IsInt() @Min(0) @Max(10_000) SAVER_FLUSH_MS = 5;
  @Type(() => Number) @IsInt() @Min(1000) @Max(86_400_000) SAVER_IDLE_MS = 600_000;
  @Type(() => Number) @IsInt() @Min(0) @Max(600_000) SHUTDOWN_TIMEOUT_MS = 10_000;

  // TCP edge: limits on what a peer may send a listener (requests) or a client (replies).
  @Type(() => Number) @IsInt() @Min(1024) @Max(MAX_FRAME) TCP_MAX_FRAME_BYTES = 64 * 1024;
  @Type(() => Number) @IsInt() @Min(1024) @Max(MAX_FRAME) TCP_MAX_REPLY_BYTES = 16 * 1024 * 1024;
  @Type(() => Number) @IsInt() @Min(1) @Max(1_000_000) TCP_MAX_CONNECTIONS = 2048;
  @Type(() => Number) @IsInt() @Min(10) @Max(3_600_000) TCP_IDLE_TIMEOUT_MS = 30_000;

  @IsIn(LOG_LEVEL_NAMES)
  LOG_LEVEL: LogLevelName = 'log';

  @IsIn(LOG_FORMAT_NAMES)
  LOG_FORMAT: LogFormatName = 'auto';

  // Health and metrics of a process that does not run the client (which serves them on CLIENT_PORT).
  @Type(() => Number) @IsInt() @Min(0) @Max(65535) SERVER_OPS_PORT = 5011;
  @Type(() => Number) @IsInt() @Min(0) @Max(65535) PROCESSOR_OPS_PORT = 5012;
  @Type(() => Number) @IsInt() @Min(0) @Max(65535) SAVER_OPS_PORT = 5013;
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
      `${Object.values(error.constraints ?? {}).join('; ')} (got ${JSON.stringify(given[error.property])})`,
  );
  if (
    parsed.TRANSPORT === 'local' &&
    !MODULE_NAMES.every((name) => parsed.MODULES.includes(name))
  ) {
    problems.push('TRANSPORT=local runs in one process only: MODULES must name all four modules');
  }
  if (parsed.DELIVERY_TIMEOUT_MS < parsed.REQUEST_TIMEOUT_MS) {
    problems.push('DELIVERY_TIMEOUT_MS must not be less than REQUEST_TIMEOUT_MS');
  }
  if (parsed.RETRY_BASE_MS > parsed.RETRY_MAX_MS) {
    problems.push('RETRY_BASE_MS must not be greater than RETRY_MAX_MS');
  }
  if (problems.length > 0) {
    throw new InvalidSettingsError(problems);
  }
  return toSettings(parsed);
}

/** HOP_BATCH_MAX, and on TCP no more results than fit in one frame of TCP_MAX_FRAME_BYTES. */
function hopBatchMax(env: Environment): number {
  if (env.TRANSPORT !== 'tcp') return env.HOP_BATCH_MAX;
  const fit = Math.floor((env.TCP_MAX_FRAME_BYTES - BATCH_ENVELOPE_BYTES) / MAX_RESULT_BYTES);
  return Math.max(1, Math.min(env.HOP_BATCH_MAX, fit));
}

function toSettings(env: Environment): Settings {
  const levelIndex = LOG_LEVEL_NAMES.indexOf(env.LOG_LEVEL);
  return {
    transport: env.TRANSPORT,
    modules: [...new Set(env.MODULES)],
    listenHost: env.LISTEN_HOST,
    clientPort: env.CLIENT_PORT,
    peers: {
      server: { host: env.SERVER_HOST, port: env.SERVER_PORT },
      processor: { host: env.PROCESSOR_HOST, port: env.PROCESSOR_PORT },
      saver: { host: env.SAVER_HOST, port: env.SAVER_PORT },
    },
    brokers: {
      natsUrl: env.NATS_URL,
      rmqUrl: env.RMQ_URL,
      redisUrl: env.REDIS_URL,
      mqttUrl: env.MQTT_URL,
      rmqPrefetch: env.RMQ_PREFETCH,
    },
    outputDir: env.OUTPUT_DIR,
    state: {
      dir: env.STATE_DIR ?? join(env.OUTPUT_DIR, 'state'),
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
    logLevels: LOG_LEVEL_NAMES.slice(0, levelIndex + 1),
    logFormat: env.LOG_FORMAT,
    opsPorts: {
      server: env.SERVER_OPS_PORT,
      processor: env.PROCESSOR_OPS_PORT,
      saver: env.SAVER_OPS_PORT,
    },
  };
}
