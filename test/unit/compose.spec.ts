import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Environment, loadSettings } from '../../src/common/settings/environment.js';
import {
  MODULE_NAMES,
  TRANSPORT_NAMES,
  type ModuleName,
  type PeerRole,
  type Settings,
  type TransportName,
} from '../../src/common/settings/settings.js';

/*
 * Keeps docker-compose.yml (and the Dockerfile it builds) honest against the settings: every
 * container's environment, as the container sees it, must load, and the ports and hosts the
 * services use to reach each other (and their broker) must agree with what each service listens on.
 */

type Env = Record<string, string | undefined>;

interface Service {
  build?: unknown;
  image?: unknown;
  command?: unknown;
  container_name?: unknown;
  profiles?: string[];
  environment?: unknown;
  ports?: unknown[];
  expose?: unknown[];
  volumes?: unknown[];
  depends_on?: unknown;
  healthcheck?: { test?: unknown; disable?: boolean };
  stop_grace_period?: string;
}

interface Dependency {
  condition: string;
  required: boolean;
}

/** Transports with a broker (tcp has none; local runs in one process only, never in compose). */
type BrokerTransport = Exclude<TransportName, 'tcp' | 'local'>;

const BROKER_TRANSPORTS = TRANSPORT_NAMES.filter(
  (name): name is BrokerTransport => name !== 'tcp' && name !== 'local',
);

/** Every transport a compose service can use: all but the in-process one. */
const COMPOSE_TRANSPORTS = TRANSPORT_NAMES.filter((name) => name !== 'local');

/**
 * Each broker transport: where its URL lands in the settings, the image that runs its broker and
 * the port that image listens on by default. `command`, when set, must match the broker's command.
 */
const BROKERS: Record<
  BrokerTransport,
  { url: (settings: Settings) => string; image: RegExp; port: number; command?: RegExp }
> = {
  nats: { url: (s) => s.brokers.natsUrl, image: /^nats:/, port: 4222 },
  rmq: { url: (s) => s.brokers.rmqUrl, image: /^rabbitmq:/, port: 5672 },
  redis: { url: (s) => s.brokers.redisUrl, image: /^redis:/, port: 6379 },
  mqtt: {
    url: (s) => s.brokers.mqttUrl,
    image: /^eclipse-mosquitto:/,
    port: 1883,
    // Mosquitto 2 without a config listens on localhost only; the image ships a config that
    // listens on 1883 for anonymous clients.
    command: /(^|\s)-c\s+\/mosquitto-no-auth\.conf(\s|$)/,
  },
};

interface Port {
  published?: number;
  target: number;
}

const PEERS = MODULE_NAMES.filter((name): name is PeerRole => name !== 'client');

const read = (file: string): string => readFileSync(join(process.cwd(), file), 'utf8');

const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services?: Record<string, Service>;
};
const services: Record<string, Service> = compose.services ?? {};
/** The modules run whatever the transport; the brokers run under a profile each. */
const appServices = Object.entries(services).filter(([, service]) => !hasProfiles(service));
const profiledServices = Object.entries(services).filter(([, service]) => hasProfiles(service));
const dockerfile = parseDockerfile(read('Dockerfile'));
const finalStage = dockerfile.at(-1) ?? { name: '', lines: [] };

function hasProfiles(service: Service): boolean {
  return (service.profiles ?? []).length > 0;
}

/** The services a transport's profile turns on. */
const brokersOf = (transport: BrokerTransport): string[] =>
  profiledServices
    .filter(([, service]) => (service.profiles ?? []).includes(transport))
    .map(([name]) => name);

/** `${VAR}`, `${VAR:-default}` (unset or empty), `${VAR-default}` (unset), `$VAR` and `$$`. */
const INTERPOLATION =
  /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Compose's interpolation of a value in the file, from the host's variables. */
function interpolate(text: string, host: Env): string {
  return text.replace(
    INTERPOLATION,
    (_match, braced?: string, operator?: string, fallback?: string, bare?: string) => {
      const name = braced ?? bare;
      if (name === undefined) return '$';
      const value = host[name];
      if (operator === ':-') return value === undefined || value === '' ? (fallback ?? '') : value;
      if (operator === '-') return value ?? fallback ?? '';
      return value ?? '';
    },
  );
}

/**
 * `environment` as written: Compose takes a map or `KEY=VALUE` strings; a bare key (or null) means
 * "from the host" and is undefined here.
 */
function rawEnv(service: Service): Env {
  const { environment } = service;
  if (environment === undefined || environment === null) return {};
  const entries: [string, unknown][] = Array.isArray(environment)
    ? environment.map((item) => {
        const text = String(item);
        const eq = text.indexOf('=');
        return eq < 0 ? [text, undefined] : [text.slice(0, eq), text.slice(eq + 1)];
      })
    : Object.entries(environment as Record<string, unknown>);
  return Object.fromEntries(
    entries.map(([key, value]) => [
      key,
      // YAML may type a value (5000, true); compose passes it on as text.
      value === null || value === undefined
        ? undefined
        : typeof value === 'string'
          ? value
          : JSON.stringify(value),
    ]),
  );
}

/** The environment Compose hands the container, given the variables of the host's shell. */
const composeEnv = (service: Service, host: Env = {}): Env =>
  Object.fromEntries(
    Object.entries(rawEnv(service)).map(([key, value]) => [
      key,
      value === undefined ? host[key] : interpolate(value, host),
    ]),
  );

/** What the container's process sees: the image's ENV, overridden by the service's environment. */
const containerEnv = (service: Service, host: Env = {}): Env => ({
  ...dockerfileEnv(),
  ...composeEnv(service, host),
});

/** A module's settings, with `host` the variables of the shell that runs `docker compose`. */
const settingsOf = (name: ModuleName, host: Env = {}): Settings =>
  loadSettings(containerEnv(services[name] ?? {}, host));

/** Short (`[a, b]`) or long (`{ a: { condition, required } }`) syntax, with Compose's defaults. */
function dependsOn(service: Service): Record<string, Dependency> {
  const { depends_on: entries } = service;
  if (Array.isArray(entries)) {
    return Object.fromEntries(
      entries.map((name) => [String(name), { condition: 'service_started', required: true }]),
    );
  }
  return Object.fromEntries(
    Object.entries((entries ?? {}) as Record<string, Partial<Dependency> | null>).map(
      ([name, entry]) => [
        name,
        {
          condition: entry?.condition ?? 'service_started',
          required: entry?.required ?? true,
        },
      ],
    ),
  );
}

/** A healthcheck's `test` as one line, whether given as a string or a list. */
const commandOf = (test: unknown): string =>
  Array.isArray(test) ? test.map(String).join(' ') : typeof test === 'string' ? test : '';

/** `command` as one line, whether given as a string or a list. */
function commandLine(service: Service): string {
  const { command } = service;
  if (Array.isArray(command)) return command.map(String).join(' ');
  return typeof command === 'string' ? command : '';
}

/** The port a module listens on, by its settings. */
const listenPort = (settings: Settings, role: ModuleName): number =>
  role === 'client' ? settings.clientPort : settings.peers[role].port;

/** Short (`[ip:][published:]target[/proto]`, or a number) or long (`{ target, published }`) syntax. */
function parsePort(entry: unknown): Port {
  if (typeof entry === 'object' && entry !== null) {
    const { target, published } = entry as { target: unknown; published?: unknown };
    return {
      target: Number(target),
      published: published === undefined ? undefined : Number(published),
    };
  }
  const parts = String(entry)
    .replace(/\/(tcp|udp)$/, '')
    .split(':');
  const target = Number(parts.at(-1));
  return { target, published: parts.length > 1 ? Number(parts.at(-2)) : undefined };
}

/** Short (`source:target[:mode]`) or long (`{ source, target }`) syntax. */
function parseVolume(entry: unknown): { source?: string; target?: string } {
  if (typeof entry === 'object' && entry !== null) {
    return entry;
  }
  const [source, target] = String(entry).split(':');
  return { source, target };
}

/** Compose durations: `15s`, `1m30s`, `500ms`. */
function durationMs(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us)/g)];
  if (parts.map((part) => part[0]).join('') !== text) return NaN;
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * units[unit], 0);
}

interface Stage {
  name: string;
  lines: string[];
}

/** Dockerfile stages with their instructions (continuations joined, comments dropped). */
function parseDockerfile(text: string): Stage[] {
  const instructions = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of instructions) {
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stages.push({ name: from[1] ?? String(stages.length), lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  return stages;
}

const instructions = (stage: Stage, keyword: string): string[] =>
  stage.lines
    .filter((line) => line.toUpperCase().startsWith(`${keyword} `))
    .map((line) => line.slice(keyword.length).trim());

/** `ENV A=1 B="2"` (and the old `ENV A 1`) of the final stage. */
function dockerfileEnv(): Env {
  const env: Env = {};
  for (const args of instructions(finalStage, 'ENV')) {
    if (!args.split(/\s+/)[0].includes('=')) {
      const [key, ...rest] = args.split(/\s+/);
      env[key] = rest.join(' ');
      continue;
    }
    for (const [, key, quoted, plain] of args.matchAll(
      /([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"]*)"|(\S*))/g,
    )) {
      env[key] = quoted ?? plain;
    }
  }
  return env;
}

describe('docker-compose.yml', () => {
  it('defines exactly one service per module, named after it, with no profile (it always runs)', () => {
    expect(appServices.map(([name]) => name).sort()).toEqual([...MODULE_NAMES].sort());
  });

  it('runs nothing else: every service under a profile is the broker of a transport', () => {
    const strays = profiledServices.flatMap(([name, service]) =>
      (service.profiles ?? [])
        .filter((profile) => !(BROKER_TRANSPORTS as string[]).includes(profile))
        .map((profile) => `${name}: ${profile}`),
    );
    expect(strays).toEqual([]);
  });

  it('publishes the client, and only the client, on the default CLIENT_PORT', () => {
    const published = Object.entries(services)
      .filter(([, service]) => (service.ports ?? []).length > 0)
      .map(([name]) => name);
    expect(published).toEqual(['client']);
    expect((services.client?.ports ?? []).map(parsePort)).toEqual([
      { published: loadSettings({}).clientPort, target: settingsOf('client').clientPort },
    ]);
  });

  it('runs all four modules from one image, built once from the Dockerfile', () => {
    const all = appServices.map(([, service]) => service);
    expect(all[0]?.build).toBeDefined();
    expect(typeof all[0]?.image).toBe('string');
    for (const service of all) {
      expect({ build: service.build, image: service.image }).toEqual({
        build: all[0].build,
        image: all[0].image,
      });
    }
  });

  it("has the client report run files at the saver's OUTPUT_DIR", () => {
    expect(settingsOf('client').outputDir).toBe(settingsOf('saver').outputDir);
  });

  it('mounts ./data on the saver at the OUTPUT_DIR it writes to', () => {
    const { outputDir } = settingsOf('saver');
    expect(outputDir).toMatch(/^\//);
    expect((services.saver?.volumes ?? []).map(parseVolume)).toContainEqual(
      expect.objectContaining({ source: './data', target: outputDir }),
    );
  });

  it('mounts ./data on the client, so its run journal (STATE_DIR) outlives the container', () => {
    const { state } = settingsOf('client');
    expect((services.client?.volumes ?? []).map(parseVolume)).toContainEqual(
      expect.objectContaining({ source: './data', target: expect.stringMatching(/^\//) }),
    );
    const mount = (services.client?.volumes ?? [])
      .map(parseVolume)
      .find((v) => v.source === './data');
    expect(state.dir.startsWith(`${mount?.target ?? '?'}/`)).toBe(true);
  });

  it('lets the processor be scaled: no host port, no fixed container name', () => {
    expect(services.processor?.ports ?? []).toEqual([]);
    expect(services.processor?.container_name).toBeUndefined();
  });

  it('never makes a service need one whose profile may be off (required: false)', () => {
    // Compose refuses to start a service that requires one whose profiles are all off.
    const wrong = Object.entries(services).flatMap(([name, service]) =>
      Object.entries(dependsOn(service))
        .filter(([callee, { required }]) => {
          const target = services[callee];
          if (target === undefined) return true;
          const alwaysOnWithIt =
            !hasProfiles(target) ||
            (target.profiles ?? []).some((profile) => (service.profiles ?? []).includes(profile));
          return required && !alwaysOnWithIt;
        })
        .map(([callee]) => `${name} -> ${callee}`),
    );
    expect(wrong).toEqual([]);
  });

  it.each(['client', 'server', 'processor', 'saver'] as const)(
    'checks that %s is ready on the port its settings serve health on',
    (name) => {
      const settings = settingsOf(name);
      const port = name === 'client' ? settings.clientPort : settings.opsPorts[name];
      expect(commandOf(services[name]?.healthcheck?.test)).toContain(
        `http://127.0.0.1:${port}/health/ready`,
      );
    },
  );

  it('starts each module once its callees are ready', () => {
    const healthy = (name: string) =>
      Object.entries(dependsOn(services[name] ?? {}))
        .filter(
          ([callee, { condition }]) =>
            condition === 'service_healthy' && !hasProfiles(services[callee] ?? {}),
        )
        .map(([callee]) => callee)
        .sort();
    expect(healthy('client')).toEqual(['saver', 'server']);
    expect(healthy('server')).toEqual(['processor']);
    expect(healthy('processor')).toEqual(['saver']);
  });

  it('waits for service_healthy only on services that have a healthcheck', () => {
    // Without one, Compose would skip an optional dependency (required: false) with a warning.
    const untested = Object.entries(services).flatMap(([name, service]) =>
      Object.entries(dependsOn(service))
        .filter(([callee, { condition }]) => {
          if (condition !== 'service_healthy') return false;
          const check = services[callee]?.healthcheck;
          const test = check?.test;
          return (
            check?.disable === true ||
            test === undefined ||
            (Array.isArray(test) && test[0] === 'NONE')
          );
        })
        .map(([callee]) => `${name} -> ${callee}`),
    );
    expect(untested).toEqual([]);
  });

  describe('TRANSPORT', () => {
    it('is tcp when unset or empty on the host', () => {
      for (const name of MODULE_NAMES) {
        expect(settingsOf(name).transport).toBe('tcp');
        expect(settingsOf(name, { TRANSPORT: '' }).transport).toBe('tcp');
      }
    });

    it.each(COMPOSE_TRANSPORTS)('is taken from the host: TRANSPORT=%s', (transport) => {
      for (const name of MODULE_NAMES) {
        expect(settingsOf(name, { TRANSPORT: transport }).transport).toBe(transport);
      }
    });

    it('is refused as local: one module per container cannot call its peers in-process', () => {
      expect(() => settingsOf('processor', { TRANSPORT: 'local' })).toThrow(/TRANSPORT=local/);
    });

    it('is refused when the host gives one the settings do not know', () => {
      expect(() => settingsOf('processor', { TRANSPORT: 'kafka' })).toThrow(/TRANSPORT|kafka/);
    });

    it('is interpolated the way this test reads it (no other `$` form in any environment)', () => {
      const unread = appServices.flatMap(([name, service]) =>
        Object.entries(rawEnv(service))
          .filter(([, value]) => value?.replace(INTERPOLATION, '').includes('$'))
          .map(([key]) => `${name}: ${key}`),
      );
      expect(unread).toEqual([]);
    });

    it('resolves ${VAR}, ${VAR:-default}, ${VAR-default}, $VAR and $$ as Compose does', () => {
      expect(interpolate('${A:-x}', {})).toBe('x');
      expect(interpolate('${A:-x}', { A: '' })).toBe('x');
      expect(interpolate('${A:-x}', { A: 'y' })).toBe('y');
      expect(interpolate('${A-x}', { A: '' })).toBe('');
      expect(interpolate('${A-x}', {})).toBe('x');
      expect(interpolate('a${A}b$A$$A', { A: 'y' })).toBe('ayby$A');
    });
  });

  describe.each(BROKER_TRANSPORTS)('broker of TRANSPORT=%s', (transport) => {
    const broker = BROKERS[transport];
    const brokerName = (): string => brokersOf(transport)[0] ?? '';
    const brokerService = (): Service => services[brokerName()] ?? {};

    it('is exactly one service, under the profile named like the transport', () => {
      expect(brokersOf(transport)).toHaveLength(1);
    });

    it("runs the broker's image (not this project's)", () => {
      expect(brokerService().build).toBeUndefined();
      expect(String(brokerService().image)).toMatch(broker.image);
      if (broker.command) expect(commandLine(brokerService())).toMatch(broker.command);
    });

    it.each(MODULE_NAMES)(
      "is what %s's URL names: its service name, on the port the broker listens on",
      (name) => {
        const url = new URL(broker.url(settingsOf(name, { TRANSPORT: transport })));
        // A URL without a port means the protocol's default, which is the broker's standard port.
        expect({ host: url.hostname, port: Number(url.port || broker.port) }).toEqual({
          host: brokerName(),
          port: broker.port,
        });
      },
    );

    it.each(MODULE_NAMES)('is waited for by %s, which still runs without it', (name) => {
      expect(dependsOn(services[name] ?? {})[brokerName()]).toMatchObject({ required: false });
    });
  });

  describe.each(MODULE_NAMES)('service %s', (name) => {
    const service = (): Service => services[name] ?? {};

    it('sets MODULES to its own name', () => {
      expect(composeEnv(service()).MODULES).toBe(name);
      expect(settingsOf(name).modules).toEqual([name]);
    });

    it('sets only variables the settings know (a misspelt name would be ignored)', () => {
      // NODE_OPTIONS is Node's own: the V8 heap cap of a split process.
      const known = new Set([...Object.keys(new Environment()), 'NODE_OPTIONS']);
      expect(Object.keys(composeEnv(service())).filter((key) => !known.has(key))).toEqual([]);
    });

    it.each(COMPOSE_TRANSPORTS)(
      'has an environment that loadSettings accepts (TRANSPORT=%s)',
      (transport) => {
        expect(() => settingsOf(name, { TRANSPORT: transport })).not.toThrow();
      },
    );

    it('listens on 0.0.0.0, so other containers can reach it', () => {
      expect(settingsOf(name).listenHost).toBe('0.0.0.0');
    });

    it.each(PEERS)('reaches %s by its service name, on the port it listens on', (role) => {
      expect(settingsOf(name).peers[role]).toEqual({
        host: role,
        port: listenPort(settingsOf(role), role),
      });
    });

    if (name !== 'client') {
      it('exposes the port it listens on, and its health and metrics port', () => {
        const exposed = (service().expose ?? []).map((entry) => parsePort(entry).target);
        const settings = settingsOf(name);
        expect(exposed).toEqual([listenPort(settings, name), settings.opsPorts[name]]);
      });
    }

    it('gets longer to stop than SHUTDOWN_TIMEOUT_MS, so a flush is not killed', () => {
      // Compose waits stop_grace_period (default 10s) after SIGTERM, then sends SIGKILL.
      const grace = durationMs(service().stop_grace_period ?? '10s');
      expect(grace).toBeGreaterThan(settingsOf(name).shutdownTimeoutMs);
    });
  });
});

describe('Dockerfile', () => {
  it('runs dist/main.js', () => {
    const cmd = instructions(finalStage, 'CMD').at(-1) ?? '';
    expect(JSON.parse(cmd)).toEqual(['node', 'dist/main.js']);
  });

  it('builds dist/ with npm run build in a build stage and copies it into the final one', () => {
    const builders = dockerfile
      .slice(0, -1)
      .filter((stage) => instructions(stage, 'RUN').some((run) => run.includes('npm run build')))
      .map((stage) => stage.name);
    expect(builders).toHaveLength(1);
    expect(instructions(finalStage, 'COPY')).toContainEqual(
      expect.stringMatching(new RegExp(`^--from=${builders[0]}\\s+\\S*dist\\S*\\s`)),
    );
  });

  it('installs only production dependencies in the final stage', () => {
    expect(instructions(finalStage, 'RUN')).toContainEqual(
      expect.stringContaining('npm ci --omit=dev'),
    );
  });
});
