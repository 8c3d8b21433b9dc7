import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Child } from '../../harness/child.js';
import { freePort } from '../../harness/ports.js';

export { waitForHttp } from '../../harness/ports.js';

const ENTRY = resolve('dist/main.js');

type BuiltSystemEnv = Record<
  | 'OUTPUT_DIR'
  | 'CLIENT_PORT'
  | 'SERVER_PORT'
  | 'PROCESSOR_PORT'
  | 'SAVER_PORT'
  | 'SERVER_OPS_PORT'
  | 'PROCESSOR_OPS_PORT'
  | 'SAVER_OPS_PORT',
  string
>;

/**
 * What every process of one system started from the built output shares (four split processes, or
 * one monolith): its output folder, its own free ports (each process must know its peers' before
 * they start), and health and metrics on port 0 (nobody needs to know them in advance).
 */
export async function builtSystemEnv(outputDir: string): Promise<BuiltSystemEnv> {
  return {
    OUTPUT_DIR: outputDir,
    CLIENT_PORT: String(await freePort()),
    SERVER_PORT: String(await freePort()),
    PROCESSOR_PORT: String(await freePort()),
    SAVER_PORT: String(await freePort()),
    SERVER_OPS_PORT: '0',
    PROCESSOR_OPS_PORT: '0',
    SAVER_OPS_PORT: '0',
  };
}

/** One or more modules of the system, as a real process started from the built output. */
export type ModuleProcess = Child;

export const ModuleProcess = {
  /** `on`: a command prefix that runs it elsewhere (`NetworkHosts.run(host)`), the signals reaching it. */
  start(modules: string, env: Record<string, string>, on: string[] = []): ModuleProcess {
    if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run \`npm run build\` first`);
    return Child.start(modules, ENTRY, { ...env, MODULES: modules }, [], on);
  },
};
