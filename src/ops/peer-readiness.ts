import type { PingAnswer } from '../common/contracts/messages.js';
import { Patterns } from '../common/contracts/patterns.js';
import { describeError } from '../common/describe-error.js';
import type { PeerRole } from '../common/settings/settings.js';
import { PeerUnreachableError, type PeerLink } from '../common/delivery/peer-link.js';
import type { Readiness } from './readiness-checks.js';

/** A ping waits this long: a peer slower than that is not ready, whatever the request timeout. */
export const PING_TIMEOUT_MS = 2000;

const PING_PATTERNS: Record<PeerRole, string> = {
  server: Patterns.serverPing,
  processor: Patterns.processorPing,
  saver: Patterns.saverPing,
};

/** Whether the peer behind `link` answers its ping, over the link's own transport. */
export async function pingPeer(link: PeerLink): Promise<Readiness> {
  try {
    const answer = await link.sendOnce<PingAnswer>(PING_PATTERNS[link.role], {}, PING_TIMEOUT_MS);
    return {
      up: answer.ready,
      peer: link.peer,
      instance: answer.instance,
      ...(answer.reason === undefined ? {} : { reason: answer.reason }),
    };
  } catch (error) {
    // The peer is named beside the reason already.
    const cause = error instanceof PeerUnreachableError ? error.cause : error;
    return { up: false, peer: link.peer, reason: describeError(cause) };
  }
}
