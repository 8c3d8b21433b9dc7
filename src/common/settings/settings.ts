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

/** Validated, typed settings. Built once from the environment by `loadSettings`. */
export interface Settings {
  readonly transport: TransportName;
  readonly modules: readonly ModuleName[];
  /** Address every listener of this process binds. */
  readonly listenHost: string;
  /** HTTP port of the client. */
  readonly clientPort: number;
  /** Where each peer role is reached (and, for a role started here, the port it listens on). */
  readonly peers: Readonly<Record<PeerRole, Endpoint>>;
  /** Broker addresses, used when `transport` is the broker's. */
  readonly brokers: {
    readonly natsUrl: string;
    readonly rmqUrl: string;
    readonly redisUrl: string;
    readonly mqttUrl: string;
    /** Unacknowledged RabbitMQ messages one consumer may hold. */
    readonly rmqPrefetch: number;
  };
  readonly outputDir: string;
  /** The client's run journal (see `RunJournal`). */
  readonly state: {
    readonly dir: string;
    readonly journal: JournalMode;
    /** Unfinished runs found at start: resumed (`auto`) or ended `interrupted` (`off`). */
    readonly resume: ResumeMode;
    /** Ended runs kept in the history, at most; the oldest goes first. */
    readonly historyMax: number;
    /** Ended runs older than this many days leave the history (0: no age limit). */
    readonly historyDays: number;
  };
  readonly limits: {
    readonly maxConnections: number;
    readonly maxValues: number;
    readonly maxTasks: number;
    readonly maxDelaySeconds: number;
  };
  /** Requests in flight on one client connection. */
  readonly sendWindow: number;
  /** Requests in flight for one run, over all its connections. */
  readonly runWindow: number;
  /** Requests in flight on one connection of an internal hop (server → processor, processor → saver). */
  readonly linkWindow: number;
  /** Sockets each internal hop (server → processor, processor → saver) spreads its requests over. */
  readonly linkSockets: number;
  /** Requests waiting for a slot on one connection of an internal hop; one more is refused for now. */
  readonly linkQueue: number;
  /** Tasks (server → processor) or results (processor → saver) in one message, at most. */
  readonly hopBatchMax: number;
  /**
   * A run's tasks sent and not yet written, at most (the run's send window over its file). Also the
   * saver's reorder capacity: a result further ahead of the file is refused for now.
   */
  readonly reorderWindow: number;
  /**
   * Tasks sent and not yet written over every run of one client: what the pipeline holds for it,
   * whatever the number of runs (one run alone may use all of it, up to `reorderWindow`).
   */
  readonly maxUnwrittenTasks: number;
  /** Admission control over every run of one client. */
  readonly admission: {
    readonly maxActiveRuns: number;
    readonly maxActiveTasks: number;
    readonly maxQueuedRuns: number;
  };
  /** Tasks one processor holds (waiting for their delay or for the saver); the next one waits. */
  readonly processorMaxHeld: number;
  /** One attempt of a request waits this long for its answer. */
  readonly requestTimeoutMs: number;
  /** A request is retried for this long at most; then its run fails with the last error. */
  readonly deliveryTimeoutMs: number;
  readonly retry: { readonly attempts: number; readonly baseMs: number; readonly maxMs: number };
  readonly repair: { readonly graceMs: number; readonly rounds: number };
  readonly statusPollMs: number;
  /** Saver batching, and how long a run that receives nothing stays open (it reopens from its file). */
  readonly saver: {
    readonly batchMax: number;
    readonly flushMs: number;
    readonly idleMs: number;
    /** Run files open at once; the least recently used is closed first (it reopens on demand). */
    readonly maxOpenRuns: number;
    /** Results held behind a gap over every run at once; one more that would wait is refused for now. */
    readonly maxHeld: number;
  };
  readonly shutdownTimeoutMs: number;
  /** Limits at the TCP edge (`TRANSPORT=tcp`); frame sizes as the frame header counts them. */
  readonly tcp: {
    /** Longest request frame a listener reads. */
    readonly maxFrameBytes: number;
    /** Longest reply frame a client reads (a saver status lists up to `missingLimit` seqs). */
    readonly maxReplyBytes: number;
    /** Open connections per listener. */
    readonly maxConnections: number;
    /** A peer that stops in the middle of a frame for this long is disconnected. */
    readonly idleTimeoutMs: number;
  };
  readonly logLevels: readonly LogLevelName[];
  /** `json` lines, `pretty` lines, or `auto`: pretty in a terminal, JSON anywhere else. */
  readonly logFormat: LogFormatName;
  /**
   * HTTP port of health and metrics in a process that does not run the client (0: any free
   * port); a process serves them once, on the port of the first of server, processor, saver it runs.
   */
  readonly opsPorts: Readonly<Record<PeerRole, number>>;
}

/** `fsync`: every group of journal records is synced before its tasks leave; `write`: written to the OS only; `off`: no journal. */
export const JOURNAL_MODES = ['fsync', 'write', 'off'] as const;
export type JournalMode = (typeof JOURNAL_MODES)[number];

export const RESUME_MODES = ['auto', 'off'] as const;
export type ResumeMode = (typeof RESUME_MODES)[number];

export const LOG_LEVEL_NAMES = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevelName = (typeof LOG_LEVEL_NAMES)[number];

export const LOG_FORMAT_NAMES = ['auto', 'json', 'pretty'] as const;
export type LogFormatName = (typeof LOG_FORMAT_NAMES)[number];
