import { connect } from 'amqplib';
import type { TlsFiles } from '../../settings/tls-files.js';
import {
  ACCESS_CHECK_TIMEOUT_MS,
  checkAccess,
  tlsConnectOptions,
  withoutSecret,
} from '../broker-access.js';

/**
 * The `socketOptions` of Nest's RabbitMQ client and listener: amqp-connection-manager hands
 * `connectionOptions` to amqplib, which gives them to `tls.connect` for an `amqps://` URL (the
 * user and password are the URL's).
 */
export const rmqSocketOptions = (tls: TlsFiles | undefined) =>
  tls ? { socketOptions: { connectionOptions: tlsConnectOptions(tls) } } : {};

/**
 * Connects once before the start: refused credentials (403), a virtual host this user may not
 * use (530) or a refused certificate end it (`checkAccess`).
 */
export function checkRmqAccess(url: string, tls: TlsFiles | undefined): Promise<void> {
  return checkAccess(
    `RabbitMQ at ${withoutSecret(url)}`,
    'RMQ_URL and TLS_*',
    url.startsWith('amqps:'),
    async () => {
      const connection = await connect(url, {
        ...tlsConnectOptions(tls),
        timeout: ACCESS_CHECK_TIMEOUT_MS,
      });
      await connection.close();
    },
    (error) => {
      const message = (error as Error | null)?.message ?? '';
      return /ACCESS_REFUSED|NOT_ALLOWED|\b403\b|\b530\b/.test(message) ? message : undefined;
    },
  );
}
