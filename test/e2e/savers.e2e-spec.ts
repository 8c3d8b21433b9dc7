import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { basename, dirname } from 'node:path';
import { isFinal, type RunView } from '../../src/common/contracts/http.js';
import { ownerOf } from '../../src/common/delivery/run-owner.js';
import type { TransportName } from '../../src/common/settings/settings.js';
import { assertBrokerUp } from '../support/brokers.js';
import { closeAll } from '../support/close-all.js';
import { send, settledRun, startRun } from '../support/http.js';
import { expectOrderedFile } from '../support/ordered-file.js';
import { ShardedSystem } from '../support/sharded-system.js';

/**
 * Three savers share the runs: each run has one owner (a hash of its id), every message of the
 * run reaches it, and a saver that is away stalls only its own runs.
 */
const SAVERS = 3;
const TRANSPORTS: readonly TransportName[] = ['tcp', 'nats', 'rmq', 'redis', 'mqtt'];
const SMALL = { connection_count: 3, connection_value: 20, delay_range: 0.1 };

/**
 * Starts a system before the tests of the describe it is called in and stops it after them;
 * answers how those tests reach it.
 */
function useSystem(
  transport: TransportName,
  start: () => Promise<ShardedSystem>,
): () => ShardedSystem {
  let system: ShardedSystem | undefined;
  beforeAll(async () => {
    await assertBrokerUp(transport);
    system = await start();
  }, 120_000);
  afterAll(() => system?.stop());
  return () => {
    if (!system) throw new Error('the system did not start');
    return system;
  };
}

/** Expects the run completed and its file exact. */
async function expectExact(run: RunView): Promise<void> {
  expect({ runId: run.runId, state: run.state }).toEqual({ runId: run.runId, state: 'completed' });
  await expectOrderedFile(run.file, run);
}

/** Starts seven runs that take a few seconds, then `kill -9` of the first one's owner. */
async function killOwnerMidRuns(
  system: ShardedSystem,
): Promise<{ runs: RunView[]; victim: number }> {
  const started = await Promise.all(
    Array.from({ length: 7 }, () =>
      startRun(system.baseUrl, { connection_count: 4, connection_value: 25, delay_range: 1.5 }),
    ),
  );
  const runs = started.map(({ body }) => body);
  const victim = ownerOf(runs[0].runId, SAVERS);
  await system.killSaver(victim);
  return { runs, victim };
}

describe.each(TRANSPORTS)('three savers over %s', (transport) => {
  const on = useSystem(transport, () => ShardedSystem.start(transport, SAVERS));

  /** Expects the run completed, its file exact and in its owner's folder. */
  const expectWrittenByOwner = async (run: RunView): Promise<void> => {
    expect(dirname(run.file)).toBe(on().outputOf(ownerOf(run.runId, SAVERS)));
    await expectExact(run);
  };

  it('spreads twelve runs (more until each saver has one) over the savers, every file exact', async () => {
    const runs: RunView[] = [];
    const owners = new Set<number>();
    // Twelve runs leave a saver without one about once in 40 tries: more runs then, never fewer.
    while (runs.length < 12 || (owners.size < SAVERS && runs.length < 60)) {
      const batch = await Promise.all(
        Array.from({ length: 4 }, () => startRun(on().baseUrl, { ...SMALL, wait: 'saved' })),
      );
      for (const { body } of batch) {
        runs.push(body);
        owners.add(ownerOf(body.runId, SAVERS));
      }
    }
    for (const run of runs) await expectWrittenByOwner(run);
    for (let saver = 0; saver < SAVERS; saver += 1) {
      const written = (await on().filesOf(saver)).map((name) => basename(name, '.jsonl'));
      const owned = runs.filter((run) => ownerOf(run.runId, SAVERS) === saver);
      expect(written.sort()).toEqual(owned.map((run) => run.runId).sort());
      expect(owned.length).toBeGreaterThan(0);
    }
  }, 120_000);

  it('kill -9 of a saver stalls only its own runs: the others complete while it is down, its own once it is back', async () => {
    const { runs, victim } = await killOwnerMidRuns(on());
    const own = runs.filter((run) => ownerOf(run.runId, SAVERS) === victim);
    const others = runs.filter((run) => ownerOf(run.runId, SAVERS) !== victim);

    // While it is down, every other run completes.
    for (const run of others)
      await expectWrittenByOwner(await settledRun(on().baseUrl, run.runId, 60_000));
    const stalled = await Promise.all(
      own.map(
        async (run) => (await send<RunView>('GET', `${on().baseUrl}/runs/${run.runId}`)).body.state,
      ),
    );
    expect(stalled.filter(isFinal)).toEqual([]);

    await on().startSaver(victim);
    for (const run of own)
      await expectWrittenByOwner(await settledRun(on().baseUrl, run.runId, 90_000));
  }, 240_000);

  it('a second client on the same savers: both clients’ runs complete exact, and each client knows its own runs only', async () => {
    const clients = [on().baseUrl, await on().startClient()];
    const runsOf = await Promise.all(
      clients.map(async (baseUrl) => {
        const started = await Promise.all(
          Array.from({ length: 4 }, () => startRun(baseUrl, { ...SMALL, wait: 'saved' })),
        );
        return started.map(({ body }) => body);
      }),
    );
    for (const run of runsOf.flat()) await expectWrittenByOwner(run);
    const ids = runsOf.map((runs) => runs.map((run) => run.runId));
    expect(new Set(ids.flat()).size).toBe(8);
    for (const [at, baseUrl] of clients.entries()) {
      const listed = await send<{ runs: RunView[] }>('GET', `${baseUrl}/runs?limit=100`);
      const mine = listed.body.runs.map((run) => run.runId);
      expect(mine).toEqual(expect.arrayContaining(ids[at]));
      expect(mine.filter((runId) => ids[1 - at].includes(runId))).toEqual([]);
      const theirs = await send('GET', `${baseUrl}/runs/${ids[1 - at][0]}`);
      expect(theirs.status).toBe(404);
    }
  }, 120_000);
});

describe('three savers over rmq with SAVER_FAILOVER=on and one OUTPUT_DIR', () => {
  const on = useSystem('rmq', () =>
    ShardedSystem.start('rmq', SAVERS, { SAVER_FAILOVER: 'on' }, { sharedOutput: true }),
  );

  it('kill -9 of a saver: another takes its queue over, and its runs complete without a restart', async () => {
    const { runs, victim } = await killOwnerMidRuns(on());
    for (const run of runs) await expectExact(await settledRun(on().baseUrl, run.runId, 90_000));
    expect(on().savers[victim]).toBeUndefined();
    expect(await on().filesOf(0)).toEqual(
      expect.arrayContaining(runs.map((run) => `${run.runId}.jsonl`)),
    );
  }, 240_000);

  it('the saver back as a standby: the runs started next complete exact, with no second writer on a file', async () => {
    const victim = on().savers.findIndex((saver) => saver === undefined);
    expect(victim).toBeGreaterThanOrEqual(0);
    await on().startSaver(victim);
    const runs: RunView[] = [];
    // Six runs, and more until one of them is the returned saver's own (at most 30).
    while (
      runs.length < 6 ||
      (!runs.some((run) => ownerOf(run.runId, SAVERS) === victim) && runs.length < 30)
    ) {
      const batch = await Promise.all(
        Array.from({ length: 3 }, () => startRun(on().baseUrl, { ...SMALL, wait: 'saved' })),
      );
      runs.push(...batch.map(({ body }) => body));
    }
    for (const run of runs) await expectExact(run);
    expect(runs.map((run) => ownerOf(run.runId, SAVERS))).toContain(victim);
  }, 120_000);
});

describe.each(TRANSPORTS.filter((transport) => transport !== 'tcp'))(
  'two systems on one %s broker, each under its own BROKER_PREFIX',
  (transport) => {
    const systems: ShardedSystem[] = [];

    beforeAll(async () => {
      await assertBrokerUp(transport);
      systems.push(
        await ShardedSystem.start(transport, 1),
        await ShardedSystem.start(transport, 1),
      );
    }, 120_000);

    afterAll(() => closeAll(...systems.map((system) => () => system.stop())));

    it('run at once without taking each other’s messages: each saver writes its own runs, exact', async () => {
      expect(new Set(systems.map((system) => system.prefix)).size).toBe(2);
      const runs = await Promise.all(
        systems.map(async (system) => {
          const started = await Promise.all(
            Array.from({ length: 3 }, () =>
              startRun(system.baseUrl, { ...SMALL, connection_value: 40, wait: 'saved' }),
            ),
          );
          return started.map(({ body }) => body);
        }),
      );
      for (const [at, system] of systems.entries()) {
        for (const run of runs[at]) {
          expect(run.state).toBe('completed');
          expect(dirname(run.file)).toBe(system.outputOf(0));
          await expectOrderedFile(run.file, run);
        }
        const written = (await system.filesOf(0)).map((name) => basename(name, '.jsonl'));
        expect(written.sort()).toEqual(runs[at].map((run) => run.runId).sort());
      }
    }, 120_000);
  },
);
