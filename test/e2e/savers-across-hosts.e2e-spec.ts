import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { isFinal, type RunView } from '../../src/common/contracts/http.js';
import { ownerOf } from '../../src/common/delivery/run-owner.js';
import { send, settledRun } from '../support/http.js';
import { HostedSystem } from '../support/hosted-system.js';
import { NetworkHosts } from '../support/network-hosts.js';
import { expectOrderedFile } from '../support/ordered-file.js';

/**
 * Two savers on hosts of their own (network namespaces with their own addresses), beside a
 * client, a server and a processor on theirs. A saver whose link is cut stalls only its own
 * runs, which complete once the link is back; cut for longer than DELIVERY_TIMEOUT_MS, they
 * fail, naming it.
 */
const HOSTS = ['client', 'server', 'processor', 'saver-0', 'saver-1'] as const;
const SAVERS = 2;
const DELIVERY_TIMEOUT_MS = 20_000;
/** How long the first test's cut lasts at least: a fault of 10 s, half of DELIVERY_TIMEOUT_MS. */
const CUT_MS = 10_000;

const unavailable = NetworkHosts.unavailableReason();
if (unavailable) console.warn(`savers-across-hosts suite skipped: ${unavailable}`);

(unavailable ? describe.skip : describe)('two savers across five hosts', () => {
  let system: HostedSystem | undefined;

  beforeAll(async () => {
    system = await HostedSystem.start(HOSTS, (host, on, dir) => ({
      OUTPUT_DIR: join(dir, host),
      SERVER_HOST: on.address('server'),
      PROCESSOR_HOST: on.address('processor'),
      SAVER_ADDRESSES: ['saver-0', 'saver-1'].map((saver) => `${on.address(saver)}:5003`).join(','),
      REQUEST_TIMEOUT_MS: '2000',
      DELIVERY_TIMEOUT_MS: String(DELIVERY_TIMEOUT_MS),
      STATUS_POLL_MS: '200',
    }));
  }, 120_000);

  afterAll(() => system?.stop());

  const hosts = (): NetworkHosts => {
    if (!system) throw new Error('the hosts did not start');
    return system.hosts;
  };
  const clientUrl = (): string => `http://${hosts().address('client')}:5000`;

  /** Cuts saver 1's link while `during` runs, and mends it whatever happens. */
  async function whileCut(during: () => Promise<void>): Promise<void> {
    hosts().cut('saver-1');
    try {
      await during();
    } finally {
      hosts().mend('saver-1');
    }
  }

  /** Starts runs until saver 1 owns `own` of them and saver 0 `others` (run ids are random). */
  async function startRuns(own: number, others: number): Promise<[RunView[], RunView[]]> {
    const mine: RunView[] = [];
    const theirs: RunView[] = [];
    while (mine.length < own || theirs.length < others) {
      const response = await fetch(
        `${clientUrl()}/?connection_count=4&connection_value=25&delay_range=1`,
      );
      const run = (await response.json()) as RunView;
      (ownerOf(run.runId, SAVERS) === 1 ? mine : theirs).push(run);
    }
    return [mine, theirs];
  }

  const expectExact = async (run: RunView): Promise<void> => {
    expect({ runId: run.runId, state: run.state }).toEqual({
      runId: run.runId,
      state: 'completed',
    });
    await expectOrderedFile(run.file, run);
  };

  it('stalls only the cut saver’s runs for a 10 s cut, and they complete once its link is back', async () => {
    const [own, others] = await startRuns(2, 2);
    const cutAt = Date.now();
    await whileCut(async () => {
      for (const run of others) await expectExact(await settledRun(clientUrl(), run.runId, 60_000));
      const stalled = await Promise.all(
        own.map(
          async (run) => (await send<RunView>('GET', `${clientUrl()}/runs/${run.runId}`)).body,
        ),
      );
      expect(stalled.map((run) => run.state).filter(isFinal)).toEqual([]);
      // The fault's length, not a wait for anything: the cut lasts CUT_MS in all.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, cutAt + CUT_MS - Date.now())));
    });
    const mendedAt = Date.now();
    for (const run of own) await expectExact(await settledRun(clientUrl(), run.runId, 90_000));
    console.log(
      `savers-across-hosts: cut for ${mendedAt - cutAt} ms; its runs completed ${Date.now() - mendedAt} ms after the link was back`,
    );
  }, 240_000);

  it('fails the cut saver’s runs, naming it, when the cut outlasts DELIVERY_TIMEOUT_MS', async () => {
    const [own, others] = await startRuns(1, 1);
    await whileCut(async () => {
      for (const run of others) await expectExact(await settledRun(clientUrl(), run.runId, 60_000));
      const [failed] = await Promise.all(
        own.map((run) => settledRun(clientUrl(), run.runId, DELIVERY_TIMEOUT_MS * 4)),
      );
      expect(failed.state).toBe('failed');
      expect(`${failed.error ?? ''} ${failed.lastError ?? ''}`).toContain(
        `saver 1 at ${hosts().address('saver-1')}:5003`,
      );
    });
  }, 240_000);
});
