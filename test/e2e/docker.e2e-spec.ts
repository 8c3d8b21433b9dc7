import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { RunView } from '../../src/common/contracts/http.js';
import { closeAll } from '../support/close-all.js';
import { Container, composeService } from '../support/docker-container.js';
import {
  Dockerd,
  buildImage,
  dockerUnavailable,
  ensureDockerPackages,
  makeBaseImage,
} from '../support/docker.js';
import { freePort } from '../../harness/ports.js';
import { settledRun, startRun, until } from '../support/http.js';
import { ModuleProcess, builtSystemEnv, waitForHttp } from '../support/module-process.js';
import { expectOrderedFile } from '../support/ordered-file.js';

/*
 * The Dockerfile built and the split system run in four containers, on a private dockerd with the
 * host's network (README "Docker", DESIGN.md §7). Root only: elsewhere the suite is skipped, saying
 * why. The figures (build, health, the run against the same run in processes) are printed and
 * written to test/output/docker-figures.json.
 */

const unavailable = dockerUnavailable();
if (unavailable !== undefined) console.warn(unavailable);
const describeDocker = unavailable === undefined ? describe : describe.skip;

const NODE_IMAGE = `ordered-pipeline/node-base:${process.versions.node.split('.')[0]}-bookworm`;
const IMAGE = 'ordered-pipeline:test';
/** The volume's place in the container: the image's OUTPUT_DIR. */
const DATA = '/app/data';
/** The run timed in containers and in processes: delay 0, so the figure is the pipeline's own. */
const TIMED_RUN = { connection_count: 100, connection_value: 1000, delay_range: 0 };
const MODULES = ['saver', 'processor', 'server', 'client'] as const;
type Module = (typeof MODULES)[number];

/** MB as `docker images` prints them. */
const MB = 1_000_000;
/** Per test: a busy machine builds, runs 100,000 tasks and checks their file slowly. */
const LONG = 5 * 60_000;

/** The module's environment in docker-compose.yml, with tcp for `${TRANSPORT:-tcp}`. */
function composeEnvironment(name: Module): Record<string, string> {
  const file = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
    services: Record<string, { environment: Record<string, string> }>;
  };
  return { ...file.services[name].environment, TRANSPORT: 'tcp' };
}

describeDocker('the image, in Docker (a private dockerd, the host network)', () => {
  let dir: string | undefined;
  let dataDir: string | undefined;
  let daemon: Dockerd | undefined;
  let cold: { ms: number; output: string };
  let ports: Record<string, string>;
  const containers = new Map<Module, Container>();
  const processes: ModuleProcess[] = [];
  const figures: Record<string, unknown> = {};

  const docker = (args: string[]): Promise<string> => {
    if (daemon === undefined) throw new Error('no dockerd');
    return daemon.docker(args);
  };
  const container = (name: Module): Container => {
    const found = containers.get(name);
    if (found === undefined) throw new Error(`no ${name} container`);
    return found;
  };
  const baseUrl = (): string => `http://127.0.0.1:${ports.CLIENT_PORT}`;
  /** A run file as the client names it (in the container), on the host. */
  const onHost = (file: string): string => file.replace(DATA, dataDir ?? '?');

  beforeAll(async () => {
    // Root, but apt-get fails: the suite fails with apt-get's words (never a skip).
    ensureDockerPackages();
    // Short: containerd's socket paths under it must fit in 108 bytes.
    dir = await mkdtemp('/tmp/op-docker-');
    dataDir = await mkdtemp(join(tmpdir(), 'ordered-pipeline-docker-data-'));
    // The image runs as node (uid 1000): the bind-mounted volume must be its.
    await chown(dataDir, 1000, 1000);
    daemon = await Dockerd.start(dir);
    const from = Date.now();
    figures.minbaseFromCache = await makeBaseImage(daemon, NODE_IMAGE);
    figures.baseImageMs = Date.now() - from;
    cold = await buildImage(daemon, IMAGE, NODE_IMAGE);
    ports = {};
    for (const key of ['CLIENT', 'SERVER', 'PROCESSOR', 'SAVER'])
      ports[`${key}_PORT`] = String(await freePort());
    for (const key of ['SERVER', 'PROCESSOR', 'SAVER'])
      ports[`${key}_OPS_PORT`] = String(await freePort());
  }, 30 * 60_000);

  afterAll(async () => {
    await closeAll(
      ...[...containers.values()].map((each) => () => each.remove()),
      ...processes.map((each) => () => each.stop()),
      () => daemon?.stop(),
      () => dir && rm(dir, { recursive: true, force: true }),
      () => dataDir && rm(dataDir, { recursive: true, force: true }),
      async () => {
        console.log(`Docker figures: ${JSON.stringify(figures, null, 2)}`);
        await mkdir('test/output', { recursive: true });
        await writeFile('test/output/docker-figures.json', `${JSON.stringify(figures, null, 2)}\n`);
      },
    );
  }, 180_000);

  it(
    'builds the Dockerfile, FROM a local base; a second build takes every step from the cache',
    async () => {
      expect(cold.output).toMatch(/Successfully tagged ordered-pipeline:test/);
      const cached = await buildImage(daemon as Dockerd, IMAGE, NODE_IMAGE);
      expect(cached.output).toMatch(/Using cache/);
      expect(cached.output).not.toMatch(/Running in/);
      const image = await (daemon as Dockerd).inspect<{ Size: number }>(IMAGE);
      const base = await (daemon as Dockerd).inspect<{ Size: number }>(NODE_IMAGE);
      Object.assign(figures, {
        buildColdMs: cold.ms,
        buildCachedMs: cached.ms,
        imageMB: Math.round(image.Size / MB),
        baseImageMB: Math.round(base.Size / MB),
      });
    },
    LONG,
  );

  it(
    'holds dist/ and the production dependencies only, runs as node, and writes to OUTPUT_DIR',
    async () => {
      const image = await (daemon as Dockerd).inspect<{ Config: { User: string; Env: string[] } }>(
        IMAGE,
      );
      expect(image.Config.User).toBe('node');
      // Where docker-compose.yml mounts ./data (the compose spec checks it is the saver's OUTPUT_DIR).
      expect(image.Config.Env).toContain(`OUTPUT_DIR=${DATA}`);
      const [uid, app, modules] = (
        await docker([
          'run',
          '--rm',
          '--network=none',
          IMAGE,
          'sh',
          '-c',
          'id -u; echo $(ls /app); echo $(ls /app/node_modules)',
        ])
      ).split('\n');
      expect(uid).toBe('1000');
      expect(app).toBe('data dist node_modules package-lock.json package.json');
      const installed = new Set(modules.split(' '));
      expect(
        ['@nestjs', 'jest', 'ts-jest', 'typescript'].filter((name) => installed.has(name)),
      ).toEqual(['@nestjs']);
    },
    LONG,
  );

  it(
    'runs the four modules in four containers: each turns healthy, and a run is exact',
    async () => {
      const started = await Promise.all(
        MODULES.map((name) =>
          Container.run(daemon as Dockerd, {
            name: `op-${name}`,
            image: IMAGE,
            service: composeService(name),
            healthPort: Number(
              name === 'client' ? ports.CLIENT_PORT : ports[`${name.toUpperCase()}_OPS_PORT`],
            ),
            env: {
              ...composeEnvironment(name),
              ...ports,
              // The host's network: everything on loopback, nothing on the machine's other addresses.
              LISTEN_HOST: '127.0.0.1',
              SERVER_HOST: '127.0.0.1',
              PROCESSOR_HOST: '127.0.0.1',
              SAVER_HOST: '127.0.0.1',
              // One saver here (the compose file has three, by service name).
              SAVER_ADDRESSES: `127.0.0.1:${ports.SAVER_PORT}`,
              SAVER_COUNT: '1',
            },
            // As in the compose file: the saver writes runs there, the client its journal.
            volume: name === 'saver' || name === 'client' ? [dataDir ?? '', DATA] : undefined,
          }),
        ),
      );
      started.forEach((each, at) => containers.set(MODULES[at], each));
      const healthy = await Promise.all(started.map((each) => each.healthy()));
      figures.runToHealthyMs = Object.fromEntries(MODULES.map((name, at) => [name, healthy[at]]));

      const from = Date.now();
      const { status, body } = await startRun(baseUrl(), { ...TIMED_RUN, wait: 'saved' });
      const wallMs = Date.now() - from;
      expect({ status, state: body.state, failed: body.failed }).toEqual({
        status: 200,
        state: 'completed',
        failed: 0,
      });
      expect(body.file.startsWith(`${DATA}/`)).toBe(true);
      await expectOrderedFile(onHost(body.file), body);
      figures.containers = figuresOf(body, wallMs);
    },
    LONG,
  );

  it(
    'runs as uid 1000, and writes nothing outside its volume',
    async () => {
      for (const name of MODULES) {
        expect({ name, uid: await container(name).exec(['id', '-u']) }).toEqual({
          name,
          uid: '1000',
        });
        // The container's own layer: docker diff names every path added, changed or deleted there
        // (the bind-mounted volume is not in it).
        // The init (--init, compose's `init: true`) is docker's own file, mounted at
        // /usr/sbin/docker-init: its mount point is all docker diff may name.
        const diff = (await container(name).diff()).filter(
          (line) => !['C /usr', 'C /usr/sbin', 'A /usr/sbin/docker-init'].includes(line),
        );
        expect({ name, diff }).toEqual({ name, diff: [] });
      }
      const owners = execFileSync(
        'find',
        [dataDir ?? '?', '-mindepth', '1', '-not', '-uid', '1000'],
        {
          encoding: 'utf8',
        },
      );
      expect(owners).toBe('');
    },
    LONG,
  );

  it(
    'docker stop of the saver mid-run: it flushes and closes its file; started again, the run completes exact',
    async () => {
      const saver = container('saver');
      const { body } = await startRun(baseUrl(), {
        connection_count: 20,
        connection_value: 200,
        delay_range: 1,
        wait: 'none',
      });
      // Mid-run: some lines on disk.
      await until<RunView>(`${baseUrl()}/runs/${body.runId}`, ({ body: view }) => view.written > 0);
      const stopped = await saver.stop();
      const logs = await saver.logs();
      const lines = (await readFile(onHost(body.file), 'utf8')).split('\n');
      // SIGTERM reached node through the init, which closed the file and exited 0 within the grace.
      expect({ exitCode: stopped.exitCode, closed: /closed \d+ run file/.test(logs) }).toEqual({
        exitCode: 0,
        closed: true,
      });
      expect(stopped.ms).toBeLessThan(composeService('saver').stopGraceSeconds * 1000);
      // Whole lines only, and the run was not over.
      expect(lines.at(-1)).toBe('');
      expect(() => lines.slice(0, -1).map((line) => JSON.parse(line) as unknown)).not.toThrow();
      expect(lines.length - 1).toBeLessThan(body.total);

      const asked = await saver.start();
      figures.saverRestartToHealthyMs = await saver.healthy(asked);
      figures.saverStopMs = stopped.ms;
      const view = await settledRun(baseUrl(), body.runId, 180_000);
      expect({ state: view.state, error: view.error }).toEqual({
        state: 'completed',
        error: undefined,
      });
      await expectOrderedFile(onHost(view.file), view);
    },
    LONG,
  );

  it(
    'runs the same timed run in four processes, for comparison',
    async () => {
      const outputDir = await mkdtemp(join(tmpdir(), 'ordered-pipeline-docker-processes-'));
      try {
        const env = {
          ...(await builtSystemEnv(outputDir)),
          NODE_OPTIONS: composeEnvironment('saver').NODE_OPTIONS,
        };
        for (const name of MODULES) processes.push(ModuleProcess.start(name, env));
        const url = `http://127.0.0.1:${env.CLIENT_PORT}`;
        await waitForHttp(`${url}/health/live`);
        await until(`${url}/health/ready`, ({ status }) => status === 200);
        const from = Date.now();
        const { body } = await startRun(url, { ...TIMED_RUN, wait: 'saved' });
        const wallMs = Date.now() - from;
        expect(body.state).toBe('completed');
        await expectOrderedFile(body.file, body);
        figures.processes = figuresOf(body, wallMs);
      } finally {
        await Promise.all(processes.splice(0).map((each) => each.stop()));
        await rm(outputDir, { recursive: true, force: true });
      }
    },
    LONG,
  );
});

function figuresOf(view: RunView, wallMs: number): Record<string, number> {
  return {
    tasks: view.total,
    wallMs,
    elapsedMs: view.elapsedMs,
    tasksPerSecond: Math.round((view.total * 1000) / view.elapsedMs),
  };
}
