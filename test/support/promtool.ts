import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's `prometheus` package puts it here. */
export const PROMTOOL = '/usr/bin/promtool';

const INSTALL = 'apt-get update && apt-get install -y --no-install-recommends prometheus';

/**
 * Makes sure promtool is installed: as root, installs Debian's `prometheus` package (apt-get);
 * otherwise fails naming the command to run. Never skips a test silently.
 */
export function ensurePromtool(): string {
  if (existsSync(PROMTOOL)) return PROMTOOL;
  if (process.getuid?.() !== 0)
    throw new Error(`${PROMTOOL} is missing and this is not root: run \`sudo sh -c '${INSTALL}'\``);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { env, stdio: 'ignore' });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus'], {
    env,
    stdio: 'ignore',
  });
  if (!existsSync(PROMTOOL)) throw new Error(`${INSTALL} did not install ${PROMTOOL}`);
  return PROMTOOL;
}

/** `promtool check metrics` over `text` (on its stdin): its exit status and everything it wrote. */
export function checkMetrics(text: string): { status: number | null; output: string } {
  const run = spawnSync(ensurePromtool(), ['check', 'metrics'], {
    input: text,
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** The metric families of a Prometheus text whose names start with `prefix`, sorted. */
export const familiesOf = (text: string, prefix = 'pipeline_'): string[] =>
  text
    .split('\n')
    .flatMap((line) => /^# TYPE (\S+) /.exec(line)?.[1] ?? [])
    .filter((name) => name.startsWith(prefix))
    .sort();
