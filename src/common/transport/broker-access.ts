import type { TlsFiles } from '../settings/tls-files.js';

/**
 * The broker answered, and turned this process away: wrong credentials, a certificate it does not
 * accept, or one of its own it could not prove. Retrying cannot help, so the start fails, naming it.
 */
export class BrokerRefusedError extends Error {
  constructor(broker: string, reason: string, setting: string) {
    super(`${broker} refused this process: ${reason}; check ${setting}`);
    this.name = BrokerRefusedError.name;
  }
}

/** TLS files as Node's `tls.connect` takes them (what amqplib, ioredis and mqtt.js pass on). */
export const tlsConnectOptions = (tls: TlsFiles | undefined) =>
  tls ? { ca: [tls.ca], cert: tls.cert, key: tls.key } : {};

/** How long a start waits for the broker's first answer before it goes on without one. */
export const ACCESS_CHECK_TIMEOUT_MS = 5_000;

/**
 * Errors that mean the TLS handshake failed on a certificate (ours or the broker's), as Node
 * names them; the broker is there, and no retry will change its answer.
 */
export function isCertificateError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' &&
    (code.startsWith('ERR_SSL_') ||
      code.startsWith('ERR_TLS_CERT') ||
      /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code))
  );
}

/** Tries before a broker that resets every TLS connection counts as refusing this process. */
const RESET_TRIES = 5;

/**
 * Connects once (`attempt`) before any module starts, and ends the start with
 * `BrokerRefusedError` when the broker turns this process away: `refusalOf` names the broker's
 * own refusals (a login), and a certificate error is one too. A broker that is not there, or not
 * sure, resolves: the listeners and clients keep trying, as always. Under TLS 1.3 a broker checks
 * the client's certificate after the client has finished its handshake, so a refused certificate
 * shows as the alert or, as often, as a bare reset of the connection: a reset is tried again, and
 * one at every try is a refusal.
 */
export async function checkAccess(
  broker: string,
  settings: string,
  tls: boolean,
  attempt: () => Promise<void>,
  refusalOf: (error: unknown) => string | undefined,
): Promise<void> {
  for (let tries = 1; ; tries += 1) {
    try {
      await attempt();
      return;
    } catch (error) {
      const message = (error as Error | null)?.message ?? String(error);
      const refused =
        refusalOf(error) ?? (isCertificateError(error) ? `TLS: ${message}` : undefined);
      if (refused) throw new BrokerRefusedError(broker, refused, settings);
      if (!tls || (error as { code?: unknown } | null)?.code !== 'ECONNRESET') return;
      if (tries === RESET_TRIES)
        throw new BrokerRefusedError(
          broker,
          `TLS: it closed the connection right after each of ${tries} handshakes, as a broker ` +
            'does with a client certificate it does not accept',
          settings,
        );
    }
  }
}

/** A URL with its password (or a token in its user part) replaced by `***`, for logs. */
export function withoutSecret(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  else if (parsed.username && parsed.protocol.startsWith('nats')) parsed.username = '***';
  return parsed.toString();
}
