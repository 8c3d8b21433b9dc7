// Baseline load: CONNECTIONS bare Nest TCP clients to TARGET_PORT, WINDOW requests in flight on
// each, PER_CONNECTION tasks per connection; a warm-up pass, then REPEAT measured passes, each
// announced as { messages, elapsedMs }.
import 'reflect-metadata';
import { Patterns } from '../../src/common/contracts/patterns.js';
import { closeClients, connectClients, sendLoad } from '../load/send-load.js';
import { announce, intEnv } from './announce.js';

const connections = intEnv('CONNECTIONS');
const perConnection = intEnv('PER_CONNECTION');
const window = intEnv('WINDOW', 64);
const repeat = intEnv('REPEAT', 1);
const warmup = intEnv('WARMUP_PER_CONNECTION', Math.min(perConnection, 1000));

const proxies = await connectClients(intEnv('TARGET_PORT'), connections);
const pass = (runId: string, count: number): Promise<number> =>
  sendLoad({ proxies, pattern: Patterns.serverTask, perConnection: count, window, runId });

if (warmup > 0) await pass('baseline-warmup', warmup);
for (let at = 1; at <= repeat; at++) {
  const elapsedMs = await pass(`baseline-${at}`, perConnection);
  announce({ messages: connections * perConnection, elapsedMs });
}
await closeClients(proxies);
process.exit(0);
