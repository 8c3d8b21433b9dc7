import { Module } from '@nestjs/common';
import { provideHop } from '../common/delivery/hops.js';
import { ServerController } from './server.controller.js';
import { ServerOps } from './server-ops.js';

/** Takes tasks from client connections and hands them to the processor, in batches. */
@Module({
  controllers: [ServerController],
  providers: [...provideHop('processor'), ServerOps],
})
export class ServerModule {}
