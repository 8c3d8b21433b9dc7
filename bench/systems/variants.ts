import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings } from '../../src/common/settings/environment.js';
import { makeAuthority, makeIdentity } from '../../test/support/certificates.js';
import { isListening } from '../../harness/ports.js';

export type SystemMode = 'monolith' | 'split';

/** One way to run the system: one process or four, over one transport. */
export interface SystemVariant {
  /** e.g. `monolith-tcp`, `split-nats`. */
  readonly name: string;
  readonly mode: SystemMode;
  readonly transport: string;
  /** Settings this variant adds to the bench's environment (TRANSPORT, broker URL, …). */
  readonly env: Readonly<Record<string, string>>;
  /** A broker that must accept connections on 127.0.0.1 for the variant to run. */
  readonly brokerPort?: number;
  /** Makes what `env` names (certificates) before the variant is checked or run. */
  readonly prepare?: () => void;
  /** Split over TCP: how many savers share the runs (SAVER_ADDRESSES); one when absent. */
  readonly savers?: number;
}

/** The bench's own certificates for the TLS variant (made with openssl when first needed). */
const TLS_DIR = join(tmpdir(), 'ordered-pipeline-bench-tls');
const TLS_ENV = {
  TLS_CA: join(TLS_DIR, 'bench-ca.pem'),
  TLS_CERT: join(TLS_DIR, 'bench-node.pem'),
  TLS_KEY: join(TLS_DIR, 'bench-node.key'),
};
const makeTlsFiles = (): void => {
  if (existsSync(TLS_ENV.TLS_KEY)) return;
  mkdirSync(TLS_DIR, { recursive: true });
  makeIdentity(TLS_DIR, 'bench-node', makeAuthority(TLS_DIR, 'bench-ca'));
};

/** A key for the signed variant: the bench's own, never a deployment's. */
const BENCH_MESSAGE_KEY = 'bench-message-key-not-a-secret-0123456789';

/** A transport without a broker: TCP, or `local` (in-process calls, monolith only). */
const direct = (mode: SystemMode, transport: 'tcp' | 'local'): SystemVariant => ({
  name: `${mode}-${transport}`,
  mode,
  transport,
  env: { TRANSPORT: transport },
});

/** A broker transport, always on the broker's default port on 127.0.0.1. */
const broker = (
  mode: SystemMode,
  transport: string,
  urlSetting: string,
  url: string,
): SystemVariant => ({
  name: `${mode}-${transport}`,
  mode,
  transport,
  env: { TRANSPORT: transport, [urlSetting]: url },
  brokerPort: Number(new URL(url).port),
});

/**
 * Every system variant the bench knows. Add a line to measure another one; a broker variant runs
 * only when the system accepts its TRANSPORT and its broker answers on 127.0.0.1.
 */
export const SYSTEM_VARIANTS: readonly SystemVariant[] = [
  direct('monolith', 'tcp'),
  direct('split', 'tcp'),
  direct('monolith', 'local'),
  // Split over TCP with each protection on its own, beside split-tcp (bench target: ≥ 0.8×).
  {
    ...direct('split', 'tcp'),
    name: 'split-tcp-signed',
    env: { TRANSPORT: 'tcp', MESSAGE_KEY: BENCH_MESSAGE_KEY },
  },
  {
    ...direct('split', 'tcp'),
    name: 'split-tcp-tls',
    env: { TRANSPORT: 'tcp', ...TLS_ENV },
    prepare: makeTlsFiles,
  },
  // Split over TCP with the runs shared by two and by three savers, beside split-tcp's one.
  { ...direct('split', 'tcp'), name: 'split-tcp-2-savers', savers: 2 },
  { ...direct('split', 'tcp'), name: 'split-tcp-3-savers', savers: 3 },
  broker('split', 'nats', 'NATS_URL', 'nats://127.0.0.1:4222'),
  broker('split', 'rmq', 'RMQ_URL', 'amqp://guest:guest@127.0.0.1:5672'),
  broker('split', 'redis', 'REDIS_URL', 'redis://127.0.0.1:6379'),
  broker('split', 'mqtt', 'MQTT_URL', 'mqtt://127.0.0.1:1883'),
];

/** Why a variant cannot run here (the system rejects its settings, or its broker is down), or undefined. */
export async function unavailable(variant: SystemVariant): Promise<string | undefined> {
  try {
    variant.prepare?.();
    loadSettings({ ...variant.env });
  } catch (error) {
    const first = (error as Error).message.split('\n')[1]?.trim() ?? String(error);
    return `the system does not accept TRANSPORT=${variant.transport} yet (${first})`;
  }
  if (variant.brokerPort !== undefined && !(await isListening(variant.brokerPort))) {
    return `no ${variant.transport} broker on 127.0.0.1:${variant.brokerPort}`;
  }
  return undefined;
}

/** The variants asked for (by name; all when `names` is empty), with a note for each one skipped. */
export async function selectVariants(
  names: readonly string[],
  include: (variant: SystemVariant) => boolean,
): Promise<{ variants: SystemVariant[]; notes: string[] }> {
  const unknown = names.filter((name) => !SYSTEM_VARIANTS.some((v) => v.name === name));
  if (unknown.length > 0) {
    const known = SYSTEM_VARIANTS.map((v) => v.name).join(', ');
    throw new Error(`unknown system variant(s) ${unknown.join(', ')}; known: ${known}`);
  }
  const variants: SystemVariant[] = [];
  const notes: string[] = [];
  for (const variant of SYSTEM_VARIANTS) {
    if (names.length > 0 ? !names.includes(variant.name) : !include(variant)) continue;
    const why = await unavailable(variant);
    if (why) notes.push(`${variant.name} skipped: ${why}`);
    else variants.push(variant);
  }
  return { variants, notes };
}
