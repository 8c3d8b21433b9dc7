import { connectAsync, type IClientOptions } from 'mqtt';
import type { TlsFiles } from '../../settings/tls-files.js';
import {
  ACCESS_CHECK_TIMEOUT_MS,
  checkAccess,
  tlsConnectOptions,
  withoutSecret,
} from '../broker-access.js';

/**
 * mqtt.js options beside the URL (which carries the user and password, and `mqtts://` for TLS):
 * the TLS files when they are set.
 */
export const mqttOptions = (url: string, tls: TlsFiles | undefined) => ({
  url,
  ...tlsConnectOptions(tls),
});

/** MQTT CONNACK codes that refuse a login: 3.1.1 (4, 5) and 5.0 (134, 135, 138). */
const REFUSED_LOGIN = new Set([4, 5, 134, 135, 138]);

/** Connects once before the start: a refused login or certificate ends it (`checkAccess`). */
export function checkMqttAccess(url: string, tls: TlsFiles | undefined): Promise<void> {
  const options: IClientOptions = {
    ...tlsConnectOptions(tls),
    reconnectPeriod: 0,
    connectTimeout: ACCESS_CHECK_TIMEOUT_MS,
  };
  return checkAccess(
    `MQTT at ${withoutSecret(url)}`,
    'MQTT_URL and TLS_*',
    /^(mqtts|wss):/.test(url),
    async () => {
      const client = await connectAsync(url, options);
      await client.endAsync();
    },
    (error) => {
      const code = (error as { code?: unknown } | null)?.code;
      return typeof code === 'number' && REFUSED_LOGIN.has(code)
        ? (error as Error).message
        : undefined;
    },
  );
}
