import type { ClientProxy } from '@nestjs/microservices';
import { NO_MESSAGE_HANDLER } from '@nestjs/microservices/constants.js';
import type { Settings } from '../settings/settings.js';
import { isHandlerError } from './refusal.js';
import { requestOnce, withRetry, type RetryPolicy } from './request-with-retry.js';

/**
 * Waits until the peer serves requests on this connection (the client's connections to the server).
 *
 * A Node listener accepts about one new connection per turn of its event loop: on a busy
 * server the 100th connection of a run is served seconds after the first, while the kernel has
 * long told the client it is connected. A task sent on it meanwhile spends that time inside its
 * timeout, and is sent again when the timeout ends (a duplicate at the saver). So on TCP a
 * connection first carries one `ping` (any answer, an error included, proves it is served), and
 * its tasks leave after it. A broker's connections are to the broker, served by its own accept
 * loop: there nothing is waited for (the first request opens the connection, as before).
 */
export async function greet(
  settings: Settings,
  proxy: ClientProxy,
  ping: string,
  policy: RetryPolicy,
  signal?: AbortSignal,
): Promise<void> {
  if (settings.transport !== 'tcp') return;
  await withRetry(
    (timeoutMs) =>
      requestOnce<unknown>(proxy, ping, {}, timeoutMs).catch((error: unknown) => {
        // A peer that answers, even that it has no such handler, serves this connection.
        if (isHandlerError(error) || error === NO_MESSAGE_HANDLER) return undefined;
        throw error;
      }),
    ping,
    policy,
    signal,
  );
}
