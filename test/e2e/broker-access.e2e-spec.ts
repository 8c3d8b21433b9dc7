import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createUser } from '@nats-io/nkeys';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BrokerRefusedError } from '../../src/common/transport/broker-access.js';
import {
  makeAuthority,
  makeIdentity,
  type Authority,
  type Identity,
} from '../support/certificates.js';
import { closeAll } from '../support/close-all.js';
import { builtSystemEnv, ModuleProcess, waitForHttp } from '../support/module-process.js';
import { expectStillOrders } from '../support/ordered-file.js';
import { PrivateBroker, type PrivateBrokerKind } from '../support/private-broker.js';
import { startTestSystem } from '../support/test-system.js';

/**
 * Brokers that let in only one user, over mutual TLS: each one the test starts for itself (the
 * shared brokers stay open for the other suites). A run completes through each; wrong
 * credentials, or no client certificate, end the start with the broker named, never a process
 * that waits forever for a broker that will keep saying no.
 */
const KINDS: readonly { kind: PrivateBrokerKind; urlSetting: string; name: string }[] = [
  { kind: 'nats', urlSetting: 'NATS_URL', name: 'NATS' },
  { kind: 'rmq', urlSetting: 'RMQ_URL', name: 'RabbitMQ' },
  { kind: 'redis', urlSetting: 'REDIS_URL', name: 'Redis' },
  { kind: 'mqtt', urlSetting: 'MQTT_URL', name: 'MQTT' },
];

const USER = 'pipeline';
const PASSWORD = 'a-password-of-its-own';

describe('brokers that ask for credentials and client certificates', () => {
  let dir: string;
  let authority: Authority;
  let brokerIdentity: Identity;
  let clientIdentity: Identity;
  /** A certificate for the right names, signed by a CA the brokers do not know. */
  let rogueIdentity: Identity;
  /** The seed file of an nkey user the NATS broker also lets in, and its public key. */
  let nkeySeedFile: string;
  let nkeyPublic: string;
  const brokers = new Map<PrivateBrokerKind, PrivateBroker>();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ordered-pipeline-broker-access-'));
    authority = makeAuthority(dir, 'ca');
    brokerIdentity = makeIdentity(dir, 'broker', authority);
    clientIdentity = makeIdentity(dir, 'client', authority);
    rogueIdentity = makeIdentity(dir, 'rogue', makeAuthority(dir, 'rogue-ca'));
    const nkey = createUser();
    nkeyPublic = nkey.getPublicKey();
    nkeySeedFile = join(dir, 'user.nk');
    await writeFile(nkeySeedFile, new TextDecoder().decode(nkey.getSeed()));
    const tls = { ca: authority.ca, ...brokerIdentity };
    const access = { user: USER, password: PASSWORD, tls, nkey: nkeyPublic };
    // All settled before any failure is thrown: afterAll must find every broker that did start.
    const started = await Promise.allSettled(
      KINDS.map(async ({ kind }) => brokers.set(kind, await PrivateBroker.start(kind, access))),
    );
    const failed = started.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  }, 180_000);

  afterAll(async () => {
    await closeAll(...[...brokers.values()].map((broker) => () => broker.stop()));
    await rm(dir, { recursive: true, force: true });
  });

  const clientTls = (): Record<string, string> => ({
    TLS_CA: authority.ca,
    TLS_CERT: clientIdentity.cert,
    TLS_KEY: clientIdentity.key,
  });

  /** A system in this process with `env` completes a run exact. */
  const expectRunExact = async (env: Record<string, string>): Promise<void> => {
    const sut = await startTestSystem(env);
    try {
      await expectStillOrders(sut.baseUrl);
    } finally {
      await sut.close();
    }
  };

  const brokerOf = (kind: PrivateBrokerKind): PrivateBroker => {
    const broker = brokers.get(kind);
    if (!broker) throw new Error(`no ${kind} broker was started`);
    return broker;
  };

  describe.each(KINDS)('$name', ({ kind, urlSetting, name }) => {
    it('carries a run exact with its user and a client certificate', async () => {
      await expectRunExact({ TRANSPORT: kind, [urlSetting]: brokerOf(kind).url, ...clientTls() });
    }, 60_000);

    it('stops the start of a process with a wrong password, naming the broker (exit 1)', async () => {
      const url = new URL(brokerOf(kind).url);
      url.password = 'not-the-password';
      const child = ModuleProcess.start('saver', {
        ...(await builtSystemEnv(dir)),
        TRANSPORT: kind,
        [urlSetting]: url.toString(),
        ...clientTls(),
      });
      try {
        expect(await child.exitCode()).toBe(1);
        expect(child.log).toContain(`${name} at`);
        expect(child.log).toContain('refused this process');
        expect(child.log).not.toContain('not-the-password');
      } finally {
        await child.stop();
      }
    }, 60_000);

    it('stops the start of a process without the TLS files: the broker is unknown to it', async () => {
      await expect(
        startTestSystem({ TRANSPORT: kind, [urlSetting]: brokerOf(kind).url }),
      ).rejects.toThrow(new RegExp(`^${name} at .* refused this process: TLS: `));
    }, 60_000);

    it('stops the start of a process whose certificate another CA signed', async () => {
      const rejected = startTestSystem({
        TRANSPORT: kind,
        [urlSetting]: brokerOf(kind).url,
        TLS_CA: authority.ca,
        TLS_CERT: rogueIdentity.cert,
        TLS_KEY: rogueIdentity.key,
      });
      await expect(rejected).rejects.toThrow(BrokerRefusedError);
      await expect(rejected).rejects.toThrow(`${name} at`);
    }, 60_000);
  });

  it('lets a process in to NATS with an nkey seed in NATS_CREDENTIALS', async () => {
    const url = new URL(brokerOf('nats').url);
    url.username = '';
    url.password = '';
    await expectRunExact({
      TRANSPORT: 'nats',
      NATS_URL: url.toString(),
      NATS_CREDENTIALS: nkeySeedFile,
      ...clientTls(),
    });
  }, 60_000);

  describe('NATS with one user per role (docs/brokers/nats-roles.conf)', () => {
    const ROLES = ['client', 'server', 'processor', 'saver'] as const;
    const passwordOf = (role: string): string => `${role}-password-of-its-own`;
    let broker: PrivateBroker | undefined;

    beforeAll(async () => {
      broker = await PrivateBroker.start('nats', {
        user: 'unused',
        password: 'unused',
        natsConfig: {
          file: resolve('docs/brokers/nats-roles.conf'),
          env: Object.fromEntries(
            ROLES.map((role) => [`NATS_${role.toUpperCase()}_PASSWORD`, passwordOf(role)]),
          ),
        },
      });
    }, 60_000);

    afterAll(() => broker?.stop());

    it('runs exact as four processes, each allowed only its own subjects', async () => {
      const urlFor = (role: string): string => {
        const url = new URL(broker?.url ?? 'nats://missing');
        url.username = role;
        url.password = passwordOf(role);
        return url.toString();
      };
      const env = { ...(await builtSystemEnv(dir)), TRANSPORT: 'nats' };
      const processes = [...ROLES]
        .reverse()
        .map((role) => ModuleProcess.start(role, { ...env, NATS_URL: urlFor(role) }));
      try {
        await Promise.all(processes.map((child) => child.waitForLog(`listening: ${child.name}`)));
        const baseUrl = `http://127.0.0.1:${env.CLIENT_PORT}`;
        await waitForHttp(`${baseUrl}/health/live`);
        await expectStillOrders(baseUrl, {
          connection_count: 5,
          connection_value: 40,
          delay_range: 0.2,
        });
        // Every readiness check (each role pings the ones it calls) passes with these rights.
        expect((await fetch(`${baseUrl}/health/ready`)).status).toBe(200);
        for (const child of processes) expect(child.log).not.toMatch(/Permissions Violation/i);
      } finally {
        await closeAll(...processes.map((child) => () => child.stop()));
      }
    }, 120_000);
  });
});
