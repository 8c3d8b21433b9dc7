import { Module } from '@nestjs/common';
import { providePeerLink } from '../common/transport/peer-link.provider.js';
import { ServerController } from './server.controller.js';
import { ServerOps } from './server-ops.js';

/** Takes tasks from client connections and hands each to the processor. */
@Module({
  controllers: [ServerController],
  providers: [providePeerLink('processor', 'relay'), ServerOps],
})
export class ServerModule {}
