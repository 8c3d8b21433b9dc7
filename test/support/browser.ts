import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`; CI installs it in `.ci/run`). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless Chromium as this machine needs it: no sandbox (root in a container), no GPU, and none
 * of its background traffic, which a closed network refuses many times over. playwright-core
 * gives it a fresh, empty --user-data-dir each launch.
 */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
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
