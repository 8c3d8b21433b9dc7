import { describe, expect, it } from '@jest/globals';
import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { Environment, loadSettings } from '../../src/common/settings/environment.js';
import {
  MODULE_NAMES,
  TRANSPORT_NAMES,
  type ModuleName,
  type Settings,
} from '../../src/common/settings/settings.js';

/*
 * docker-compose.yml checked by real tools (the Compose Specification's JSON schema, dclint), and
 * tied to the settings: service names, MODULES, ports, hosts, broker URLs. The image is built and
 * run by test/e2e/docker.e2e-spec.ts; Compose itself (v2) is not to be had here (README "Docker").
 */

interface Service {
  image?: string;
  build?: unknown;
  init?: boolean;
  profiles?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string; required?: boolean }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
}

const text = readFileSync('docker-compose.yml', 'utf8');
const file = parse(text, { merge: true }) as { services: Record<string, Service> };
const { services } = file;
const service = (name: string): Service => services[name] ?? {};

/** Each broker transport's URL in the settings, and its image's standard port. */
const BROKERS = {
  nats: { url: (s: Settings) => s.brokers.natsUrl, port: 4222 },
  rmq: { url: (s: Settings) => s.brokers.rmqUrl, port: 5672 },
  redis: { url: (s: Settings) => s.brokers.redisUrl, port: 6379 },
  mqtt: { url: (s: Settings) => s.brokers.mqttUrl, port: 1883 },
};
const COMPOSE_TRANSPORTS = TRANSPORT_NAMES.filter((name) => name !== 'local');

/** The host's TRANSPORT as Compose puts it in: the file's only interpolation (checked below). */
const settingsOf = (name: ModuleName, transport = 'tcp'): Settings =>
  loadSettings({ ...service(name).environment, TRANSPORT: transport });

/** The saver services, in the order of their SAVER_INDEX (each checked to load as that saver). */
const SAVERS = Object.keys(services)
  .filter((name) => service(name).environment?.MODULES === 'saver')
  .sort(
    (a, b) =>
      Number(service(a).environment?.SAVER_INDEX) - Number(service(b).environment?.SAVER_INDEX),
  );

const listenPort = (name: ModuleName): number =>
  name === 'client' ? settingsOf(name).clientPort : settingsOf(name).peers[name].port;
const healthPort = (name: ModuleName): number =>
  name === 'client' ? settingsOf(name).clientPort : settingsOf(name).opsPorts[name];

describe('docker-compose.yml', () => {
  it("is valid by the Compose Specification's JSON schema (the copy dclint ships)", () => {
    const schema = JSON.parse(
      readFileSync('node_modules/dclint/schemas/compose.schema.json', 'utf8'),
    ) as Record<string, unknown>;
    // The schema names its draft-07 meta-schema by an https address ajv does not know by that name.
    const validate = new Ajv({ allErrors: true, strict: false, validateSchema: false }).compile(
      schema,
    );
    validate(file);
    expect(validate.errors ?? []).toEqual([]);
  });

  it('passes dclint, bar its ordering rules (the file reads in call order, client to saver)', () => {
    const lint = spawnSync(
      process.execPath,
      [
        'node_modules/dclint/bin/dclint.cjs',
        'docker-compose.yml',
        '--no-color',
        '--max-warnings=0',
        '--disable-rule',
        'service-keys-order',
        'services-alphabetical-order',
        'service-dependencies-alphabetical-order',
        'top-level-properties-order',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect({ status: lint.status, problems: `${lint.stdout}${lint.stderr}`.trim() }).toEqual({
      status: 0,
      problems: '',
    });
  });

  it('has one service per module (three savers), all from one image, and under a profile only the brokers', () => {
    const always = Object.keys(services).filter((name) => !service(name).profiles);
    expect(always.sort()).toEqual([...MODULE_NAMES, ...SAVERS.slice(1)].sort());
    const images = always.map((name) => JSON.stringify([service(name).build, service(name).image]));
    expect(new Set(images)).toEqual(new Set([JSON.stringify(['.', 'ordered-pipeline:local'])]));
    const profiles = Object.values(services).flatMap((each) => each.profiles ?? []);
    expect(profiles.sort()).toEqual(Object.keys(BROKERS).sort());
  });

  it('interpolates nothing but TRANSPORT, tcp by default', () => {
    const dollars = MODULE_NAMES.flatMap((name) =>
      Object.entries(service(name).environment ?? {}).filter(([, value]) => value.includes('$')),
    );
    expect(new Set(dollars.map(([key, value]) => `${key}=${value}`))).toEqual(
      new Set(['TRANSPORT=${TRANSPORT:-tcp}']),
    );
  });

  it('publishes the client only, on the host loopback at the default CLIENT_PORT', () => {
    const published = Object.keys(services).filter((name) => service(name).ports);
    expect(published).toEqual(['client']);
    expect(service('client').ports).toEqual([
      `127.0.0.1:${loadSettings({}).clientPort}:${listenPort('client')}`,
    ]);
  });

  it('mounts ./data where the savers write (OUTPUT_DIR) on each saver and the client', () => {
    const mount = `./data:${settingsOf('saver').outputDir}`;
    for (const saver of SAVERS) expect(service(saver).volumes).toContain(mount);
    expect(service('client').volumes).toContain(mount);
  });

  it('runs three savers, each its own SAVER_INDEX, otherwise alike', () => {
    expect(SAVERS).toEqual(['saver', 'saver-1', 'saver-2']);
    SAVERS.forEach((saver, index) => {
      const settings = loadSettings({ ...service(saver).environment, TRANSPORT: 'nats' });
      expect([settings.modules, settings.savers]).toEqual([
        ['saver'],
        { addresses: expect.any(Array) as unknown, count: 3, index, failover: false },
      ]);
      expect({ ...service(saver), environment: undefined }).toEqual({
        ...service('saver'),
        environment: undefined,
      });
    });
  });

  it('starts each module once its callees are healthy; brokers are waited for, never required', () => {
    const healthyCallees = (name: ModuleName) =>
      Object.entries(service(name).depends_on ?? {})
        .filter(
          ([, { condition, required }]) => condition === 'service_healthy' && required !== false,
        )
        .map(([callee]) => callee)
        .sort();
    expect(MODULE_NAMES.map(healthyCallees)).toEqual([
      [...SAVERS, 'server'].sort(),
      ['processor'],
      [...SAVERS].sort(),
      [],
    ]);
    const brokerServices = Object.keys(services).filter((name) => service(name).profiles);
    for (const name of MODULE_NAMES)
      for (const broker of brokerServices)
        expect(service(name).depends_on?.[broker]).toMatchObject({ required: false });
  });

  describe.each(MODULE_NAMES)('service %s', (name) => {
    it('sets MODULES to its name, and only variables the settings know', () => {
      expect(settingsOf(name).modules).toEqual([name]);
      const known = new Set([...Object.keys(new Environment()), 'NODE_OPTIONS']);
      expect(Object.keys(service(name).environment ?? {}).filter((key) => !known.has(key))).toEqual(
        [],
      );
    });

    it.each(COMPOSE_TRANSPORTS)('has settings that load with TRANSPORT=%s', (transport) => {
      expect(settingsOf(name, transport).transport).toBe(transport);
    });

    it('listens on 0.0.0.0 and reaches each peer by its service name, on its port', () => {
      const settings = settingsOf(name);
      expect(settings.listenHost).toBe('0.0.0.0');
      for (const peer of ['server', 'processor'] as const)
        expect(settings.peers[peer]).toEqual({ host: peer, port: listenPort(peer) });
      // The savers, each by its service name, in the order of their SAVER_INDEX.
      expect(settings.savers.addresses).toEqual(
        SAVERS.map((saver) => ({ host: saver, port: listenPort('saver') })),
      );
    });

    it.each(Object.keys(BROKERS))('knows the three savers on %s, by count', (transport) => {
      expect(settingsOf(name, transport).savers.count).toBe(SAVERS.length);
    });

    it.each(Object.keys(BROKERS) as (keyof typeof BROKERS)[])(
      'names the %s broker by the service under that profile, on its standard port',
      (transport) => {
        const url = new URL(BROKERS[transport].url(settingsOf(name, transport)));
        const broker = Object.keys(services).find((each) =>
          service(each).profiles?.includes(transport),
        );
        expect([url.hostname, Number(url.port || BROKERS[transport].port)]).toEqual([
          broker,
          BROKERS[transport].port,
        ]);
      },
    );

    it('checks /health/ready on the port its settings serve it on, and exposes its ports', () => {
      expect(service(name).healthcheck?.test.join(' ')).toContain(
        `http://127.0.0.1:${healthPort(name)}/health/ready`,
      );
      if (name !== 'client')
        expect(service(name).expose).toEqual([String(listenPort(name)), String(healthPort(name))]);
    });

    it('runs under an init, and stops with more grace than SHUTDOWN_TIMEOUT_MS', () => {
      expect(service(name).init).toBe(true);
      const grace = /^(\d+)s$/.exec(service(name).stop_grace_period ?? '10s')?.[1];
      expect(Number(grace) * 1000).toBeGreaterThan(settingsOf(name).shutdownTimeoutMs);
    });
  });
});
