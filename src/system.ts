import { Logger, Module, type DynamicModule, type Type } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import { ClientModule } from './client/client.module.js';
import type { ModuleName, PeerRole, Settings } from './common/settings/settings.js';
import { SettingsModule } from './common/settings/settings.module.js';
import { ThrottledRpcExceptionFilter } from './common/throttled-rpc-exception.filter.js';
import { BrokerAckInterceptor } from './common/transport/broker-ack.interceptor.js';
import { assertSoleConsumer } from './common/transport/sole-consumer.js';
import {
  acknowledgesToBroker,
  listeningPort,
  serverOptions,
} from './common/transport/transport-options.js';
import { ProcessorModule } from './processor/processor.module.js';
import { SaverModule } from './saver/saver.module.js';
import { ServerModule } from './server/server.module.js';

const PEER_MODULES: Record<PeerRole, Type> = {
  server: ServerModule,
  processor: ProcessorModule,
  saver: SaverModule,
};

/** Callees first, so that a module finds its peers listening (and, in tests, knows their ports). */
const START_ORDER: readonly ModuleName[] = ['saver', 'processor', 'server', 'client'];

/** The root of one module's application context: its feature module plus the settings. */
@Module({})
class ModuleContext {
  static of(feature: Type, settings: Settings, listens = false): DynamicModule {
    return {
      module: ModuleContext,
      imports: [SettingsModule.forRoot(settings), feature],
      providers: [
        // Only where the broker takes acknowledgements: an interceptor costs on every message.
        ...(acknowledgesToBroker(settings)
          ? [{ provide: APP_INTERCEPTOR, useClass: BrokerAckInterceptor }]
          : []),
        // Only for listeners: an RPC filter catching everything would swallow HTTP errors.
        ...(listens ? [{ provide: APP_FILTER, useClass: ThrottledRpcExceptionFilter }] : []),
      ],
    };
  }
}

interface Closable {
  close(): Promise<void>;
  get<T>(type: Type<T>, options: { strict: false }): T;
}

interface Started extends Closable {
  readonly module: ModuleName;
}

// Nest's application is a proxy that takes no new properties: wrap it instead.
const startedModule = (module: ModuleName, app: Closable): Started => ({
  module,
  close: () => app.close(),
  get: (type, options) => app.get(type, options),
});

export interface RunningSystem {
  /** The settings with every port as bound (a 0 in the settings becomes the real port). */
  readonly settings: Settings;
  /** Closes the modules in order client → server → processor → saver; each flushes on the way. */
  close(): Promise<void>;
  /** A provider of `module` (e.g. the saver's observers), when that module runs in this process. */
  get<T>(module: ModuleName, type: Type<T>): T | undefined;
}

/**
 * Starts the modules named in `settings.modules`, each in its own Nest application context, so a
 * listener carries only its own module's handlers. The same path serves one process (monolith) and
 * one module per process (split): a module never knows whether its peers share its process.
 */
export async function startSystem(settings: Settings): Promise<RunningSystem> {
  const logger = new Logger('System');
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
          ? await startClient(current, started)
          : await startPeer(name, current, started);
    }
  } catch (error) {
    await close();
    throw error;
  }
  logger.log(`started ${settings.modules.join(', ')} over ${settings.transport}`);
  const get = <T>(module: ModuleName, type: Type<T>): T | undefined =>
    started.find((app) => app.module === module)?.get(type, { strict: false });
  return { settings: current, close, get };
}

async function startPeer(
  role: PeerRole,
  settings: Settings,
  started: Started[],
): Promise<Settings> {
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(
    ModuleContext.of(PEER_MODULES[role], settings, true),
    // abortOnError false: a failure throws (main.ts reports it) instead of exiting the process.
    { ...serverOptions(settings, role), logger: [...settings.logLevels], abortOnError: false },
  );
  started.push(startedModule(role, app));
  await app.listen();
  await assertSoleConsumer(settings, role);
  const port = listeningPort(settings, app) ?? settings.peers[role].port;
  return { ...settings, peers: { ...settings.peers, [role]: { ...settings.peers[role], port } } };
}

async function startClient(settings: Settings, started: Started[]): Promise<Settings> {
  const app = await NestFactory.create<NestFastifyApplication>(
    ModuleContext.of(ClientModule, settings),
    new FastifyAdapter(),
    { logger: [...settings.logLevels], abortOnError: false },
  );
  started.push(startedModule('client', app));
  await app.listen(settings.clientPort, settings.listenHost);
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { ...settings, clientPort: port };
}
