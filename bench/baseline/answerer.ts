// Baseline: a bare Nest TCP microservice that answers every task with the ack, nothing else.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { ACK, type Ack } from '../../src/common/contracts/messages.js';
import { Patterns } from '../../src/common/contracts/patterns.js';
import { announce, boundPort } from './announce.js';

@Controller()
class AnswererController {
  @MessagePattern(Patterns.serverTask)
  answer(): Ack {
    return ACK;
  }
}

@Module({ controllers: [AnswererController] })
class AnswererModule {}

const app = await NestFactory.createMicroservice<MicroserviceOptions>(AnswererModule, {
  transport: Transport.TCP,
  options: { host: '127.0.0.1', port: 0 },
  logger: ['error', 'warn'],
});
await app.listen();
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
announce({ port: boundPort(app) });
