// Baseline: a bare Nest TCP microservice that forwards every task to the answerer and relays its
// answer. It opens as many connections to the answerer as its callers open to it
// (FORWARD_CONNECTIONS), used in turn, so each hop carries the same connection count and window.
import 'reflect-metadata';
import { Controller, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  MessagePattern,
  Payload,
  Transport,
  type ClientProxy,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import type { Observable } from 'rxjs';
import type { Ack, Task } from '../../src/common/contracts/messages.js';
import { Patterns } from '../../src/common/contracts/patterns.js';
import { closeClients, connectClients } from '../load/send-load.js';
import { announce, boundPort, intEnv } from './announce.js';

const NEXT_HOP = Symbol('next hop');

@Controller()
class ForwarderController implements OnApplicationShutdown {
  private turn = 0;

  constructor(@Inject(NEXT_HOP) private readonly next: ClientProxy[]) {}

  @MessagePattern(Patterns.serverTask)
  forward(@Payload() task: Task): Observable<Ack> {
    const proxy = this.next[this.turn++ % this.next.length];
    return proxy.send<Ack>(Patterns.serverTask, task);
  }

  async onApplicationShutdown(): Promise<void> {
    await closeClients(this.next);
  }
}

@Module({
  controllers: [ForwarderController],
  providers: [
    {
      provide: NEXT_HOP,
      useFactory: () =>
        connectClients(intEnv('ANSWERER_PORT'), Math.max(1, intEnv('FORWARD_CONNECTIONS', 1))),
    },
  ],
})
class ForwarderModule {}

const app = await NestFactory.createMicroservice<MicroserviceOptions>(ForwarderModule, {
  transport: Transport.TCP,
  options: { host: '127.0.0.1', port: 0 },
  logger: ['error', 'warn'],
});
await app.listen();
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
announce({ port: boundPort(app) });
