import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings } from '../../src/common/settings/environment.js';
import type { Settings } from '../../src/common/settings/settings.js';
import { startSystem, type RunningSystem, type SystemOptions } from '../../src/system.js';
import { givenBrokerUrls } from './brokers.js';

/**
 * Settings for tests: every port 0 (the bound ones are read back), quiet logs, a quick repair, and
 * the broker URLs the run was given.
 */
export const testEnvironment = (outputDir: string): Record<string, string> => ({
  CLIENT_PORT: '0',
  SERVER_PORT: '0',
  PROCESSOR_PORT: '0',
  SAVER_PORT: '0',
  SERVER_OPS_PORT: '0',
  PROCESSOR_OPS_PORT: '0',
  SAVER_OPS_PORT: '0',
  OUTPUT_DIR: outputDir,
  LOG_LEVEL: 'error',
  REPAIR_GRACE_MS: '300',
  RETRY_BASE_MS: '20',
  RETRY_MAX_MS: '200',
  REQUEST_TIMEOUT_MS: '5000',
  SHUTDOWN_TIMEOUT_MS: '2000',
  ...givenBrokerUrls(),
});

export interface TestSystem {
  readonly system: RunningSystem;
  readonly settings: Settings;
  readonly baseUrl: string;
  readonly outputDir: string;
  close(): Promise<void>;
}

/**
 * Starts the named modules in this process, on ephemeral ports, writing to a fresh temporary folder.
 * `options.pino` gives the system a logger of the test's own (e.g. to read its request lines).
 */
export async function startTestSystem(
  env: Record<string, string> = {},
  outputDir?: string,
  options: Pick<SystemOptions, 'pino'> = {},
): Promise<TestSystem> {
  const dir = outputDir ?? (await mkdtemp(join(tmpdir(), 'ordered-pipeline-')));
  // No Swagger UI: Jest cannot load @fastify/static (the built app's tests check /docs).
  const system = await startSystem(loadSettings({ ...testEnvironment(dir), ...env }), {
    ...options,
    docsUi: false,
  });
  return {
    system,
    settings: system.settings,
    baseUrl: `http://127.0.0.1:${system.settings.clientPort}`,
    outputDir: dir,
    close: async () => {
      await system.close();
      if (!outputDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
