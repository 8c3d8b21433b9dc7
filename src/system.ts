import {
  Logger,
  Module,
  type DynamicModule,
  type LoggerService,
  type LogLevel,
  type Provider,
  type Type,
} from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createServer, type AddressInfo } from 'node:net';
import type { Logger as Pino } from 'pino';
import { ClientModule } from './client/client.module.js';
import { DOCS_PATH, serveOpenApi } from './client/openapi.js';
import { fastifyWithRoutes } from './common/http/http-adapter.js';
import { ServedRoutes } from './common/http/served-routes.js';
import { nestLoggerOver, requestLogging } from './common/logging/nest-logger.js';
import type { ModuleName, PeerRole, Settings } from './common/settings/settings.js';
import { openExposures } from './common/settings/open-exposures.js';
import { SettingsModule } from './common/settings/settings.module.js';
import { ThrottledRpcExceptionFilter } from './common/throttled-rpc-exception.filter.js';
import { BrokerAckInterceptor } from './common/transport/rmq/broker-ack.interceptor.js';
import { assertSoleConsumer } from './common/transport/redis/sole-consumer.js';
import {
  acknowledgesWhenDone,
  checkBrokerAccess,
  describeListener,
  listeningPort,
  serverOptions,
  sharesWorkBetweenReplicas,
} from './common/transport/transport-options.js';
import { OpsHttpModule } from './ops/ops-http.module.js';
import { OpsModule } from './ops/ops.module.js';
import { ProcessOps } from './ops/process-ops.js';
import { ProcessorModule } from './processor/processor.module.js';
import { SaverModule } from './saver/saver.module.js';
import { ServerModule } from './server/server.module.js';

const PEER_MODULES: Record<PeerRole, Type> = {
  server: ServerModule,
  processor: ProcessorModule,
  saver: SaverModule,
};

const PEER_ROLES: readonly PeerRole[] = ['server', 'processor', 'saver'];

/** Callees first, so that a module finds its peers listening (and, in tests, knows their ports). */
const START_ORDER: readonly ModuleName[] = ['saver', 'processor', 'server', 'client'];

interface ContextParts {
  /** The role this context's listener serves (none: an HTTP context). */
  readonly listensAs?: PeerRole;
  readonly imports?: readonly (Type | DynamicModule)[];
  readonly providers?: readonly Provider[];
}

/** The root of one application context: a feature module plus the settings and the process's ops. */
@Module({})
class ModuleContext {
  static of(
    feature: Type,
    settings: Settings,
    ops: ProcessOps,
    parts: ContextParts = {},
  ): DynamicModule {
    return {
      module: ModuleContext,
      imports: [
        SettingsModule.forRoot(settings),
        OpsModule.forRoot(ops),
        feature,
        ...(parts.imports ?? []),
      ],
      providers: [
        // Only where the broker's acknowledgement waits for the handler's work: an interceptor
        // costs on every message.
        ...(parts.listensAs && acknowledgesWhenDone(settings, parts.listensAs)
          ? [{ provide: APP_INTERCEPTOR, useClass: BrokerAckInterceptor }]
          : []),
        // Only for listeners: an RPC filter catching everything would swallow HTTP errors.
        ...(parts.listensAs
          ? [{ provide: APP_FILTER, useClass: ThrottledRpcExceptionFilter }]
          : []),
        ...(parts.providers ?? []),
      ],
    };
  }
}

/** How every context of this process logs: one pino logger (main.ts), or Nest's console (tests). */
interface Logging {
  readonly logger: LoggerService | LogLevel[];
  /** Request logging, for the contexts that serve HTTP. */
  readonly http: DynamicModule[];
}

export interface SystemOptions {
  /** The process's pino logger; without it, Nest's console logger at LOG_LEVEL (as tests run). */
  readonly pino?: Pino;
  /**
   * Swagger UI at /docs (default true). Its static files come through @fastify/static, which Jest's
   * module loader cannot load (a dependency is ESM-only, required from CommonJS): in-process
   * tests go without; the document at /docs-json is served either way.
   */
  readonly docsUi?: boolean;
}

/**
 * Every context is created with `abortOnError: false`: by default Nest ends the process on any
 * error a context's method throws, `get` of a provider that lives in another context included;
 * a failed start is thrown to the caller instead (main.ts logs it and exits).
 */
interface Closable {
  close(): Promise<void>;
  get<T>(type: Type<T>, options: { strict: false }): T;
}

/** A started context, and which module it is (`ops`: the health and metrics app of a process). */
interface Started extends Closable {
  readonly module: ModuleName | 'ops';
}

// Nest's application is a proxy that takes no new properties: wrap it instead.
const startedModule = (module: Started['module'], app: Closable): Started => ({
  module,
  close: () => app.close(),
  get: (type, options) => app.get(type, options),
});

export interface RunningSystem {
  /** The settings with every port as bound (a 0 in the settings becomes the real port). */
  readonly settings: Settings;
  /** What listens where, as the start-up line says it. */
  readonly listening: string;
  /** The routes this process serves over HTTP (the client's app, or the ops app). */
  readonly routes: ServedRoutes;
  /** Closes the modules in order client → server → processor → saver; each flushes on the way. */
  close(): Promise<void>;
  /** A provider of `module` (e.g. the saver's observers), when that module runs in this process. */
  get<T>(module: ModuleName, type: Type<T>): T | undefined;
}

/**
 * Starts the modules named in `settings.modules`, each in its own Nest application context, so a
 * listener carries only its own module's handlers. The same path serves one process (monolith) and
 * one module per process (split): a module never knows whether its peers share its process.
 * Health and metrics are served once per process: on the client's port where the client runs,
 * else on the ops port of the first of server, processor, saver that runs here.
 */
export async function startSystem(
  settings: Settings,
  options: SystemOptions = {},
): Promise<RunningSystem> {
  const logger = new Logger('System');
  await checkBrokerAccess(settings);
  const ops = new ProcessOps();
  const logging: Logging = options.pino
    ? { logger: nestLoggerOver(options.pino), http: [requestLogging(options.pino)] }
    : { logger: [...settings.logLevels], http: [] };
  const started: Started[] = [];
  // Every module is closed, even when one before it fails: the saver last, flushing its files.
  const close = async (): Promise<void> => {
    const failures: unknown[] = [];
    for (const app of [...started].reverse()) {
      await app.close().catch((error: unknown) => failures.push(error));
    }
    if (failures.length > 0)
      throw new AggregateError(failures, 'some modules did not close cleanly');
  };
  let current = settings;
  try {
    for (const name of START_ORDER.filter((module) => settings.modules.includes(module))) {
      current =
        name === 'client'
          ? await startClient(current, started, ops, logging, options.docsUi ?? true)
          : await startPeer(name, current, started, ops, logging);
    }
    if (!settings.modules.includes('client'))
      current = await startOps(current, started, ops, logging);
  } catch (error) {
    await close();
    throw error;
  }
  const listening = describeListening(current);
  logger.log(`listening: ${listening}`);
  for (const open of openExposures(current)) logger.warn(`open: ${open}`);
  const get = <T>(module: ModuleName, type: Type<T>): T | undefined =>
    started.find((app) => app.module === module)?.get(type, { strict: false });
  return { settings: current, listening, routes: ops.routes, close, get };
}

async function startPeer(
  role: PeerRole,
  settings: Settings,
  started: Started[],
  ops: ProcessOps,
  logging: Logging,
): Promise<Settings> {
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(
    ModuleContext.of(PEER_MODULES[role], settings, ops, { listensAs: role }),
    { ...serverOptions(settings, role), logger: logging.logger, abortOnError: false },
  );
  started.push(startedModule(role, app));
  await app.listen().catch((error: unknown) => {
    throw isAddressInUse(error) ? portTakenError(settings, role, error) : error;
  });
  await assertSoleConsumer(settings, role);
  const port = listeningPort(settings, app) ?? settings.peers[role].port;
  return { ...settings, peers: { ...settings.peers, [role]: { ...settings.peers[role], port } } };
}

async function startClient(
  settings: Settings,
  started: Started[],
  ops: ProcessOps,
  logging: Logging,
  docsUi: boolean,
): Promise<Settings> {
  const adapter = fastifyWithRoutes(ops.routes);
  const app = await NestFactory.create<NestFastifyApplication>(
    ModuleContext.of(ClientModule, settings, ops, {
      imports: [OpsHttpModule, ...logging.http],
      providers: [{ provide: ServedRoutes, useValue: ops.routes }],
    }),
    adapter,
    { logger: logging.logger, abortOnError: false },
  );
  started.push(startedModule('client', app));
  serveOpenApi(app, docsUi, settings.access);
  await app.listen(settings.clientPort, settings.listenHost);
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { ...settings, clientPort: port };
}

/**
 * Health and metrics of a process without the client, on its first peer module's ops port. When
 * that port is taken and the role can run replicas here (a processor or a server on a broker that
 * shares their work), a free port instead, as `0` would take: a second processor started with the
 * defaults works, and the start-up line names its port. Otherwise the start fails, naming the
 * setting to give.
 */
async function startOps(
  settings: Settings,
  started: Started[],
  ops: ProcessOps,
  logging: Logging,
): Promise<Settings> {
  const role = opsRole(settings);
  if (!role) return settings;
  const adapter = fastifyWithRoutes(ops.routes);
  const app = await NestFactory.create<NestFastifyApplication>(
    ModuleContext.of(OpsHttpModule, settings, ops, {
      imports: logging.http,
      providers: [{ provide: ServedRoutes, useValue: ops.routes }],
    }),
    adapter,
    { logger: logging.logger, abortOnError: false },
  );
  // Closed first (it is started last): a stopping process stops answering "ready" at once.
  started.push(startedModule('ops', app));
  await app.listen(await opsPort(settings, role), settings.listenHost);
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { ...settings, opsPorts: { ...settings.opsPorts, [role]: port } };
}

/** The port the ops app of `role` listens on: its setting, or 0 when that is taken (see above). */
async function opsPort(settings: Settings, role: PeerRole): Promise<number> {
  const wanted = settings.opsPorts[role];
  if (wanted === 0 || (await isFree(wanted, settings.listenHost))) return wanted;
  const setting = OPS_PORT_SETTING[role];
  if (!runsReplicas(settings, role))
    throw new Error(
      `health and metrics cannot listen on ${settings.listenHost}:${wanted} (${setting}): the ` +
        `port is taken, perhaps by another ${role} on this machine. Give ${setting}=0 (a free ` +
        `port, named in the start-up line) or another free port.`,
    );
  new Logger('System').warn(
    `${setting} ${wanted} is taken (another ${role} on this machine?): health and metrics on a ` +
      `free port instead, named below; give ${setting} to choose one`,
  );
  return 0;
}

/** Whether `port` can be listened on now (another process may take it before we do). */
const isFree = (port: number, host: string): Promise<boolean> =>
  new Promise((resolve) => {
    const probe = createServer()
      .once('error', () => resolve(false))
      .listen(port, host, () => probe.close(() => resolve(true)));
  });

/** The setting of each role's ops port and listener port, as a message names them. */
const OPS_PORT_SETTING: Record<PeerRole, string> = {
  server: 'SERVER_OPS_PORT',
  processor: 'PROCESSOR_OPS_PORT',
  saver: 'SAVER_OPS_PORT',
};
const PORT_SETTING: Record<PeerRole, string> = {
  server: 'SERVER_PORT',
  processor: 'PROCESSOR_PORT',
  saver: 'SAVER_PORT',
};

/**
 * Whether several processes of `role` can serve one system: on a broker that shares a role's
 * messages among its listeners; never the saver, which owns the run files (one per system).
 */
const runsReplicas = (settings: Settings, role: PeerRole): boolean =>
  settings.transport !== 'tcp' &&
  settings.transport !== 'local' &&
  sharesWorkBetweenReplicas(settings) &&
  role !== 'saver';

const isAddressInUse = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === 'EADDRINUSE' ||
  String((error as { message?: unknown } | null)?.message).includes('EADDRINUSE');

/** A TCP listener whose port is taken: on TCP a role has one listener, found by its port. */
const portTakenError = (settings: Settings, role: PeerRole, cause: unknown): Error =>
  new Error(
    `${role} cannot listen on tcp://${settings.listenHost}:${settings.peers[role].port} ` +
      `(${PORT_SETTING[role]}): the port is taken, perhaps by another ${role} on this machine. On ` +
      `TCP its callers reach one ${role} at ${role.toUpperCase()}_HOST:${PORT_SETTING[role]}: run ` +
      `replicas on a broker (TRANSPORT=nats, rmq or mqtt), or give a second system other ports.`,
    { cause },
  );

const opsRole = (settings: Settings): PeerRole | undefined =>
  PEER_ROLES.find((role) => settings.modules.includes(role));

function describeListening(settings: Settings): string {
  const parts: string[] = [];
  if (settings.modules.includes('client')) {
    const base = `http://${settings.listenHost}:${settings.clientPort}`;
    parts.push(`client ${base} (${base}/${DOCS_PATH}, /health/ready, /metrics)`);
  }
  for (const role of PEER_ROLES.filter((one) => settings.modules.includes(one)))
    parts.push(describeListener(settings, role));
  const role = opsRole(settings);
  if (!settings.modules.includes('client') && role)
    parts.push(
      `health and metrics http://${settings.listenHost}:${settings.opsPorts[role]} (/health/ready, /metrics)`,
    );
  return parts.join(' · ');
}
