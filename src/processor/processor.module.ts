import { Module } from '@nestjs/common';
import { provideHop } from '../common/delivery/hops.js';
import { ProcessorController } from './processor.controller.js';
import { ProcessorOps } from './processor-ops.js';
import { ProcessorService } from './processor.service.js';

/** Acknowledges tasks at once, processes them after a random delay, hands results to the saver. */
@Module({
  controllers: [ProcessorController],
  providers: [ProcessorService, ...provideHop('saver'), ProcessorOps],
})
export class ProcessorModule {}
