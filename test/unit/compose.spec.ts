import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Environment, loadSettings } from '../../src/common/settings/environment.js';
import {
  MODULE_NAMES,
  type ModuleName,
  type PeerRole,
  type Settings,
} from '../../src/common/settings/settings.js';

/*
 * Keeps docker-compose.yml (and the Dockerfile it builds) honest against the settings: every
 * container's environment, as the container sees it, must load, and the ports and hosts the
 * services use to reach each other must agree with what each service listens on.
 */

type Env = Record<string, string | undefined>;

interface Service {
  build?: unknown;
  image?: unknown;
  environment?: unknown;
  ports?: unknown[];
  expose?: unknown[];
  volumes?: unknown[];
  stop_grace_period?: string;
}

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
const dockerfile = parseDockerfile(read('Dockerfile'));
const finalStage = dockerfile.at(-1) ?? { name: '', lines: [] };

/** Compose takes `environment` as a map or as `KEY=VALUE` strings; a bare key (or null) means "from the host". */
function composeEnv(service: Service): Env {
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

/** What the container's process sees: the image's ENV, overridden by the service's environment. */
const containerEnv = (service: Service): Env => ({
  ...dockerfileEnv(),
  ...composeEnv(service),
});

const settingsOf = (name: ModuleName): Settings => loadSettings(containerEnv(services[name] ?? {}));

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
  it('defines exactly one service per module, named after it', () => {
    expect(Object.keys(services).sort()).toEqual([...MODULE_NAMES].sort());
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

  it('runs all four services from one image, built once from the Dockerfile', () => {
    const all = Object.values(services);
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

  describe.each(MODULE_NAMES)('service %s', (name) => {
    const service = (): Service => services[name] ?? {};

    it('sets MODULES to its own name', () => {
      expect(composeEnv(service()).MODULES).toBe(name);
      expect(settingsOf(name).modules).toEqual([name]);
    });

    it('sets only variables the settings know (a misspelt name would be ignored)', () => {
      const known = new Set(Object.keys(new Environment()));
      expect(Object.keys(composeEnv(service())).filter((key) => !known.has(key))).toEqual([]);
    });

    it('has an environment that loadSettings accepts', () => {
      expect(() => settingsOf(name)).not.toThrow();
    });

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
      it('exposes the port it listens on', () => {
        const exposed = (service().expose ?? []).map((entry) => parsePort(entry).target);
        expect(exposed).toEqual([listenPort(settingsOf(name), name)]);
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
