import {
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import type { TlsFiles } from '../../settings/tls-files.js';
import { ACCESS_CHECK_TIMEOUT_MS, checkAccess, withoutSecret } from '../broker-access.js';

/**
 * The connection options of every NATS client and listener here. The NATS library reads no
 * credentials from a server URL (it drops them), so `nats://user:pass@host` and
 * `nats://token@host` are taken apart here; `NATS_CREDENTIALS` holds a `.creds` file or an nkey
 * seed. `tls://`, or TLS files, make TLS required.
 */
export function natsConnection(
  url: string,
  credentials: string | undefined,
  tls: TlsFiles | undefined,
): NodeConnectionOptions {
  const parsed = new URL(url);
  const user = decodeURIComponent(parsed.username);
  const pass = decodeURIComponent(parsed.password);
  return {
    servers: [`${parsed.protocol}//${parsed.host}`],
    ...(user && pass ? { user, pass } : user ? { token: user } : {}),
    ...(credentials ? { authenticator: authenticatorOf(credentials) } : {}),
    ...(tls
      ? { tls: { ca: tls.ca, cert: tls.cert, key: tls.key } }
      : parsed.protocol === 'tls:'
        ? { tls: {} }
        : {}),
  };
}

function authenticatorOf(credentials: string): NodeConnectionOptions['authenticator'] {
  const encoded = new TextEncoder().encode(credentials.trim());
  return credentials.includes('BEGIN NATS USER JWT')
    ? credsAuthenticator(encoded)
    : nkeyAuthenticator(encoded);
}

/** Connects once before the start: a refused login or certificate ends it (`checkAccess`). */
export function checkNatsAccess(
  url: string,
  credentials: string | undefined,
  tls: TlsFiles | undefined,
): Promise<void> {
  const options = natsConnection(url, credentials, tls);
  return checkAccess(
    `NATS at ${withoutSecret(url)}`,
    'NATS_URL, NATS_CREDENTIALS and TLS_*',
    options.tls !== undefined,
    async () => {
      const connection = await connect({
        ...options,
        reconnect: false,
        timeout: ACCESS_CHECK_TIMEOUT_MS,
      });
      await connection.close();
    },
    (error) => {
      const { name = '', message = String(error) } = (error ?? {}) as Partial<Error>;
      return /authori[sz]ation|authentication/i.test(`${name} ${message}`) ? message : undefined;
    },
  );
}
