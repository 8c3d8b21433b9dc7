// Makes sure the report page's browser test has its browser: Debian's Chromium, which `npm ci`
// cannot bring (playwright-core drives it and downloads nothing). Run by `npm test` before Jest.
// Present: nothing to do. Missing: installed with apt-get when we are root, else a failure that
// names the command to run. Never skipped: a test that cannot run is a failing test.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const given = process.env.CHROMIUM_PATH;
const path = given ?? '/usr/bin/chromium';
const INSTALL = 'apt-get update && apt-get install -y chromium';

const fail = (message) => {
  console.error(`ensure-chromium: ${message}`);
  process.exit(1);
};

if (existsSync(path)) process.exit(0);
if (given) fail(`CHROMIUM_PATH=${given} does not exist: point it at a Chromium, or unset it`);
if (process.platform !== 'linux' || !existsSync('/usr/bin/apt-get'))
  fail(`no Chromium at ${path}, and no apt-get to install it: install Chromium, set CHROMIUM_PATH`);
if (process.getuid?.() !== 0) fail(`no Chromium at ${path}: run \`sudo sh -c '${INSTALL}'\``);

console.log(`ensure-chromium: no Chromium at ${path}; installing Debian's (${INSTALL})`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [
  ['update', '-qq'],
  ['install', '-y', '-qq', 'chromium'],
]) {
  const { status } = spawnSync('apt-get', args, { stdio: 'inherit', env });
  if (status !== 0) fail(`\`apt-get ${args.join(' ')}\` failed (exit ${status})`);
}
if (!existsSync(path)) fail(`apt-get installed chromium, but ${path} is still missing`);
