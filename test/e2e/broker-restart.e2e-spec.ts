import type { RunView } from '../../src/common/contracts/http.js';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { TransportName } from '../../src/common/settings/settings.js';
import { CapturedLogs } from '../support/captured-logs.js';
import { startRun, until } from '../support/http.js';
import { expectOrderedFile, expectStillOrders } from '../support/ordered-file.js';
import { PrivateBroker, type PrivateBrokerKind } from '../support/private-broker.js';
import { startTestSystem } from '../support/test-system.js';
import { closeAll } from '../support/close-all.js';

/**
 * A broker that is killed (`kill -9`) in the middle of a run and comes back on the same
 * port. Every transport's listeners and clients reconnect; what a hop lost with the broker (at most
 * once on NATS, Redis and MQTT QoS 0; RabbitMQ's replies on the direct reply-to) is sent again by
 * the retries and the client's repair, so the run ends `completed` with an exact file, and the next
 * run on the same system works. Each test runs its own broker on free ports: the shared ones serve
 * other suites at the same time.
 */

// Kept, not printed: every client and listener logs each disconnect. Counted below.
const logs = new CapturedLogs();
Logger.overrideLogger(logs);

interface RestartCase {
  readonly kind: PrivateBrokerKind;
  readonly transport: TransportName;
  readonly urlSetting: string;
  /**
   * Longer than the broker can be away (the time it takes to start again): a task whose peer is
   * back within it must be delivered, so the run must complete.
   */
  readonly deliveryTimeoutMs: number;
}

const CASES: readonly RestartCase[] = [
  { kind: 'redis', transport: 'redis', urlSetting: 'REDIS_URL', deliveryTimeoutMs: 15_000 },
  { kind: 'nats', transport: 'nats', urlSetting: 'NATS_URL', deliveryTimeoutMs: 15_000 },
  { kind: 'mqtt', transport: 'mqtt', urlSetting: 'MQTT_URL', deliveryTimeoutMs: 15_000 },
  // An Erlang node takes 10–20 s to boot on this machine.
  { kind: 'rmq', transport: 'rmq', urlSetting: 'RMQ_URL', deliveryTimeoutMs: 60_000 },
];

const RUN = { connection_count: 10, connection_value: 100, delay_range: 1 };
const TOTAL = RUN.connection_count * RUN.connection_value;
/**
 * A window of 100 tasks over the file paces the run (about 10 windows of up to delay_range each),
 * so the broker dies while the run is writing: with the default window a RabbitMQ run once had
 * all 1000 lines on disk at the first look, seq 1 having held the file until the end.
 */
const RUN_WINDOW = 100;
const REQUEST_TIMEOUT_MS = 2000;
const REPAIR_GRACE_MS = 300;
const REPAIR_ROUNDS = 3;

/**
 * What DESIGN §11 bounds a run by once its peer is back: the delay, one delivery timeout, and the
 * repair rounds (each waits for the file to stand still, then for its sends); plus what is left of
 * the run itself, paced by its window.
 */
const settleBoundMs = (deliveryTimeoutMs: number): number =>
  RUN.delay_range * 1000 +
  deliveryTimeoutMs +
  REPAIR_ROUNDS * (RUN.delay_range * 1000 + REPAIR_GRACE_MS + REQUEST_TIMEOUT_MS) +
  (TOTAL / RUN_WINDOW) * RUN.delay_range * 1000;

describe('a broker that restarts in the middle of a run', () => {
  const brokers: PrivateBroker[] = [];
  afterAll(async () => {
    // Each test stops its own; this is for one that failed half-way.
    await closeAll(...brokers.map((broker) => () => broker.stop()));
  });

  it.each(CASES)(
    'on $kind: the run ends completed with an exact file, and the next run works',
    async ({ kind, transport, urlSetting, deliveryTimeoutMs }) => {
      const broker = await PrivateBroker.start(kind);
      brokers.push(broker);
      const firstLine = logs.lines.length;
      const sut = await startTestSystem({
        TRANSPORT: transport,
        LOG_LEVEL: 'warn',
        [urlSetting]: broker.url,
        REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        DELIVERY_TIMEOUT_MS: String(deliveryTimeoutMs),
        REPAIR_GRACE_MS: String(REPAIR_GRACE_MS),
        REPAIR_ROUNDS: String(REPAIR_ROUNDS),
        RUN_WINDOW: String(RUN_WINDOW),
      });
      // Closed while its broker runs: the broker is stopped for good only after.
      try {
        const { status, body } = await startRun(sut.baseUrl, { ...RUN, wait: 'none' });
        expect(status).toBe(202);
        const runUrl = `${sut.baseUrl}/runs/${body.runId}`;

        // Mid-run: some lines are on disk, not all of them.
        const { body: before } = await until<RunView>(runUrl, ({ body }) => body.written > 0);
        expect(before.written).toBeLessThan(before.total);

        const killedAt = Date.now();
        await broker.kill();
        await broker.restart();
        const awayMs = Date.now() - killedAt;
        expect(awayMs).toBeLessThan(deliveryTimeoutMs);

        // Within the bound counted from the kill, not from the broker's return.
        const { body: view } = await until<RunView>(
          runUrl,
          ({ body }) => body.state === 'completed' || body.state === 'failed',
          Math.max(0, killedAt + settleBoundMs(deliveryTimeoutMs) - Date.now()),
        );
        const settledMs = Date.now() - killedAt;
        // RabbitMQ: replies the broker took down with it (see RmqServer). Unhandled, each would
        // fail this test (Jest fails a test on an unhandled rejection).
        const lostReplies = logs.lines
          .slice(firstLine)
          .filter(({ message }) => message.includes('a reply could not be published'))
          .reduce(
            (sum, { message }) => sum + Number(/\((\d+) like this/.exec(message)?.[1] ?? 1),
            0,
          );
        console.log(
          `${kind}: killed at ${before.written}/${before.total} lines; broker away ${awayMs} ms; run settled ${settledMs} ms after the kill ` +
            `(${view.state}, resent ${view.resent}, repair rounds ${view.repairRounds}, ` +
            `replies lost with the broker ${lostReplies}, last error: ${view.lastError ?? 'none'})`,
        );
        expect({ state: view.state, error: view.error }).toEqual({
          state: 'completed',
          error: undefined,
        });
        await expectOrderedFile(view.file, view);

        // The same system, without a restart, runs the next one exactly.
        await expectStillOrders(sut.baseUrl);
      } finally {
        await sut.close();
      }
      await broker.stop();
    },
    // The broker's start, twice (RabbitMQ: up to 90 s each), the bound of the run, the next run.
    2 * 90_000 + settleBoundMs(60_000) + 30_000,
  );
});
