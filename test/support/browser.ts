import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (`npm test` installs it with scripts/ensure-chromium.mjs when missing). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless Chromium as this machine needs it: no sandbox (root in a container), no GPU, and none
 * of its background traffic, which a closed network refuses many times over. playwright-core
 * gives it a fresh, empty --user-data-dir each launch. Fails at once, saying what to run, when
 * there is no browser.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `no Chromium at ${CHROMIUM}: run \`node scripts/ensure-chromium.mjs\` (as root it installs ` +
        `Debian's chromium; otherwise it prints the command), or set CHROMIUM_PATH`,
    );
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
