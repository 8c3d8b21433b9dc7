import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/*
 * Docker on a machine without a registry: Debian's docker.io, a private dockerd (its own data root
 * and socket in a temp folder, stopped by its PID), and a base image made here (debootstrap's
 * minbase plus this machine's Node and npm) for the Dockerfile's FROM (DESIGN.md §7).
 */

const run = promisify(execFile);

/** Debian's docker.io: its client speaks the daemon's API (a newer client elsewhere on PATH may not). */
const DOCKER = '/usr/bin/docker';
const DOCKERD = '/usr/sbin/dockerd';
const DEBOOTSTRAP = '/usr/sbin/debootstrap';
const PACKAGES = ['docker.io', 'debootstrap'];

/**
 * Why the Docker suite cannot run here, or undefined when it can. It needs root (a dockerd of its
 * own, and apt-get for what is missing) on Debian.
 */
export function dockerUnavailable(): string | undefined {
  const missing = [DOCKER, DOCKERD, DEBOOTSTRAP].filter((path) => !existsSync(path));
  if (process.platform !== 'linux') return 'Docker suite: Linux only';
  if (process.getuid?.() !== 0)
    return (
      'Docker suite skipped: it starts its own dockerd, which needs root' +
      (missing.length > 0
        ? ` (and ${missing.join(', ')} missing: apt-get install ${PACKAGES.join(' ')})`
        : '')
    );
  if (missing.length > 0 && !existsSync('/usr/bin/apt-get'))
    return `Docker suite skipped: ${missing.join(', ')} missing and no apt-get to install them`;
  return undefined;
}

/** Installs docker.io and debootstrap when absent (root); throws apt-get's own words when it fails. */
export function ensureDockerPackages(): void {
  if ([DOCKER, DOCKERD, DEBOOTSTRAP].every((path) => existsSync(path))) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', ...PACKAGES],
  ]) {
    const done = spawnSync('apt-get', args, { env, encoding: 'utf8', timeout: 600_000 });
    if (done.status !== 0)
      throw new Error(
        `apt-get ${args.join(' ')} failed (${done.status ?? done.signal ?? done.error?.message}):\n` +
          `${done.stdout}${done.stderr}`,
      );
  }
}

/** A dockerd of the suite's own: nothing it does touches the machine's Docker, if there is one. */
export class Dockerd {
  private constructor(
    readonly dir: string,
    private readonly child: ChildProcess,
    private readonly exited: Promise<number | null>,
  ) {}

  /** The environment of every `docker` command aimed at this daemon. */
  get env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      DOCKER_HOST: `unix://${this.dir}/docker.sock`,
      // Not the machine's client settings (credential helpers, contexts).
      DOCKER_CONFIG: join(this.dir, 'client'),
      // The classic builder: BuildKit would fetch the `# syntax=` frontend image from a registry.
      DOCKER_BUILDKIT: '0',
    };
  }

  /**
   * Starts dockerd in `dir` (a short path: containerd's sockets go under it). No iptables and no
   * default bridge: containers and builds use the host's network, so they reach the npm registry
   * the way this machine does, and nothing here changes the machine's firewall.
   */
  static async start(dir: string, withinMs = 60_000): Promise<Dockerd> {
    await mkdir(join(dir, 'client'), { recursive: true });
    const log = openSync(join(dir, 'dockerd.log'), 'a');
    const child = spawn(
      DOCKERD,
      [
        `--data-root=${dir}/root`,
        `--exec-root=${dir}/exec`,
        `--host=unix://${dir}/docker.sock`,
        `--pidfile=${dir}/dockerd.pid`,
        '--iptables=false',
        '--bridge=none',
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const daemon = new Dockerd(dir, child, exited);
    const deadline = Date.now() + withinMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`dockerd exited:\n${daemon.log()}`);
      if (
        (await daemon.docker(['version', '--format', '{{.Server.Version}}']).catch(() => '')) !== ''
      )
        return daemon;
      if (Date.now() > deadline) {
        await daemon.stop();
        throw new Error(`dockerd did not answer within ${withinMs} ms:\n${daemon.log()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  log(): string {
    return readFileSync(join(this.dir, 'dockerd.log'), 'utf8').slice(-4000);
  }

  /** Runs the client; answers its stdout, trimmed; throws with stderr when it fails. */
  async docker(args: string[], timeoutMs = 120_000): Promise<string> {
    try {
      const { stdout } = await run(DOCKER, args, {
        env: this.env,
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
      });
      return stdout.trim();
    } catch (error) {
      const { stderr, stdout } = error as { stderr?: string; stdout?: string };
      throw new Error(
        `docker ${args.join(' ').slice(0, 300)} failed: ${stderr ?? ''}${stdout ?? ''}`,
        { cause: error },
      );
    }
  }

  /** `docker inspect` of one object, parsed. */
  async inspect<T = Record<string, unknown>>(name: string): Promise<T> {
    return (JSON.parse(await this.docker(['inspect', name])) as T[])[0];
  }

  /**
   * SIGTERM by PID (dockerd stops its containers and its containerd), SIGKILL after `withinMs`;
   * then whatever it left mounted under its folder is unmounted, so the folder can be removed.
   */
  async stop(withinMs = 30_000): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), withinMs);
      await this.exited;
      clearTimeout(timer);
    }
    const mounts = (await readFile('/proc/self/mounts', 'utf8'))
      .split('\n')
      .map((line) => line.split(' ')[1] ?? '')
      .filter((point) => point.startsWith(`${this.dir}/`))
      .reverse();
    for (const point of mounts) spawnSync('umount', ['-l', point]);
  }
}

/**
 * Where the slow part of the base image is kept between runs on one machine: `npm ci` on a clean
 * clone starts it afresh, as CI does.
 */
export const BASE_CACHE = join(process.cwd(), 'node_modules/.cache/ordered-pipeline-docker');

const MINBASE = join(BASE_CACHE, 'bookworm-minbase.tar');

/** debootstrap's smallest Debian bookworm, trimmed, with the `node` user (uid 1000) node images have. */
async function minbaseTar(work: string): Promise<string> {
  const tar = MINBASE;
  if (existsSync(tar)) return tar;
  await mkdir(BASE_CACHE, { recursive: true });
  const rootfs = join(work, 'rootfs');
  const mirror = process.env.DEBOOTSTRAP_MIRROR ?? 'http://deb.debian.org/debian';
  await run(DEBOOTSTRAP, ['--variant=minbase', 'bookworm', rootfs, mirror], {
    timeout: 900_000,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: { stdout?: string; stderr?: string }) => {
    throw new Error(`debootstrap failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`, {
      cause: error,
    });
  });
  // Package lists and caches, manuals and translations: nothing a container of this image reads.
  await run('sh', [
    '-c',
    `cd '${rootfs}' && rm -rf var/cache/apt/* var/lib/apt/lists/* usr/share/doc/* usr/share/man/* usr/share/info/* usr/share/locale/*
     echo 'node:x:1000:1000::/home/node:/bin/sh' >> etc/passwd
     echo 'node:x:1000:' >> etc/group
     echo 'node:*:20000:0:99999:7:::' >> etc/shadow
     mkdir -p home/node && chown 1000:1000 home/node`,
  ]);
  await run('tar', ['-cf', `${tar}.tmp`, '-C', rootfs, '.']);
  await run('mv', [`${tar}.tmp`, tar]);
  await rm(rootfs, { recursive: true, force: true });
  return tar;
}

/**
 * The paths under `files` to append to `tar`: the topmost of each that the tar does not hold (a
 * new folder goes in whole). A file the tar already holds is a mistake here.
 */
async function newPaths(files: string, tar: string): Promise<string[]> {
  const listing = (await run('tar', ['-tf', tar], { maxBuffer: 64 * 1024 * 1024 })).stdout;
  const held = new Set(
    listing.split('\n').map((entry) => entry.replace(/^\.\//, '').replace(/\/$/, '')),
  );
  const walk = async (relative: string): Promise<string[]> => {
    if (!held.has(relative)) return [`./${relative}`];
    const entries = await readdir(join(files, relative), { withFileTypes: true }).catch(() => {
      throw new Error(`the base already holds ${relative}`);
    });
    const nested = await Promise.all(entries.map((entry) => walk(`${relative}/${entry.name}`)));
    return nested.flat();
  };
  const tops = await readdir(files);
  return (await Promise.all(tops.map((top) => walk(top)))).flat();
}

/** npm's folder, from the `npm` on PATH (its bin/npm-cli.js). */
function npmRoot(): string {
  const cli = spawnSync('sh', ['-c', 'readlink -f "$(command -v npm)"'], { encoding: 'utf8' });
  return cli.stdout.trim().replace(/\/bin\/npm-cli\.js$/, '');
}

/**
 * The FROM image: the minbase plus this machine's node and npm at /usr, and npm's CA file when npm
 * is given one (this machine reaches the registry through a proxy that signs with its own CA), so
 * `npm ci` in the build reaches the registry as `npm ci` here does. Node is added afresh each time
 * (seconds), so only the minbase is cached. Answers whether the minbase came from the cache.
 */
export async function makeBaseImage(daemon: Dockerd, tag: string): Promise<boolean> {
  const work = join(daemon.dir, 'base');
  const files = join(work, 'files');
  const tar = join(work, 'base.tar');
  await mkdir(join(files, 'usr/bin'), { recursive: true });
  await mkdir(join(files, 'usr/lib/node_modules'), { recursive: true });
  await mkdir(join(files, 'usr/etc'), { recursive: true });
  await mkdir(join(files, 'etc'), { recursive: true });
  const cached = existsSync(MINBASE);
  await run('cp', [await minbaseTar(work), tar]);
  await run('cp', [process.execPath, join(files, 'usr/bin/node')]);
  await run('cp', ['-a', npmRoot(), join(files, 'usr/lib/node_modules/npm')]);
  // npm's manuals: nothing a build reads.
  await rm(join(files, 'usr/lib/node_modules/npm/docs'), { recursive: true, force: true });
  await rm(join(files, 'usr/lib/node_modules/npm/man'), { recursive: true, force: true });
  await run('ln', ['-s', '../lib/node_modules/npm/bin/npm-cli.js', join(files, 'usr/bin/npm')]);
  await run('ln', ['-s', '../lib/node_modules/npm/bin/npx-cli.js', join(files, 'usr/bin/npx')]);
  const npmrc = ['update-notifier=false'];
  const cafile = (await run('npm', ['config', 'get', 'cafile'])).stdout.trim();
  if (cafile !== '' && cafile !== 'null' && cafile !== 'undefined' && existsSync(cafile)) {
    await mkdir(join(files, cafile, '..'), { recursive: true });
    await run('cp', [cafile, join(files, cafile)]);
    npmrc.push(`cafile=${cafile}`);
  }
  // npm's global config (<prefix>/etc/npmrc): the user's own ~/.npmrc may hold tokens.
  await run('sh', ['-c', `printf '%s\\n' "$@" > '${files}/usr/etc/npmrc'`, 'sh', ...npmrc]);
  // Only what the minbase lacks: docker import refuses a tar that names a path twice.
  const added = await newPaths(files, tar);
  await run('tar', ['-rf', tar, '-C', files, '--owner=0', '--group=0', ...added]);
  await daemon.docker(['import', '--change', 'CMD ["node"]', tar, tag], 300_000);
  await rm(work, { recursive: true, force: true });
  return cached;
}

/**
 * `docker build` of the project's Dockerfile as it is, but for FROM (the NODE_IMAGE argument) and
 * the network: with no bridge, each RUN step gets the host's network, where `npm ci` reaches the
 * registry. Answers how long it took and the builder's output.
 */
export async function buildImage(
  daemon: Dockerd,
  tag: string,
  nodeImage: string,
): Promise<{ ms: number; output: string }> {
  const from = Date.now();
  const output = await daemon.docker(
    ['build', '--network=host', `--build-arg=NODE_IMAGE=${nodeImage}`, `--tag=${tag}`, '.'],
    1_200_000,
  );
  return { ms: Date.now() - from, output };
}
