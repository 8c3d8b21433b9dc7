import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import type { RunView } from '../../src/common/contracts/http.js';
import { makeAuthority, makeIdentity, type Authority } from '../support/certificates.js';
import { HostedSystem } from '../support/hosted-system.js';
import { NetworkHosts } from '../support/network-hosts.js';
import { expectOrderedFile } from '../support/ordered-file.js';

/**
 * The split system on four hosts of their own (network namespaces, each with its own address),
 * as it would be deployed: every TCP link over mutual TLS, every message signed, the API behind a
 * token. Nothing is left open, and a stranger on the same network gets no answer.
 */
const ROLES = ['saver', 'processor', 'server', 'client'] as const;
const API_TOKEN = 'an-api-token-of-its-own';

const unavailable = NetworkHosts.unavailableReason();
if (unavailable) console.warn(`across-hosts suite skipped: ${unavailable}`);

(unavailable ? describe.skip : describe)('the split system across four hosts', () => {
  let system: HostedSystem | undefined;
  let authority: Authority;

  beforeAll(async () => {
    system = await HostedSystem.start(ROLES, (role, on, dir) => {
      authority ??= makeAuthority(dir, 'ca');
      // Each host its own certificate, for the address its peers dial.
      const identity = makeIdentity(dir, role, authority, [on.address(role)]);
      return {
        OUTPUT_DIR: join(dir, 'data'),
        SERVER_HOST: on.address('server'),
        PROCESSOR_HOST: on.address('processor'),
        SAVER_HOST: on.address('saver'),
        MESSAGE_KEY: 'a-message-key-of-thirty-two-characters-or-more',
        API_TOKEN,
        METRICS_TOKEN: 'a-metrics-token-of-its-own',
        TLS_CA: authority.ca,
        TLS_CERT: identity.cert,
        TLS_KEY: identity.key,
      };
    });
  }, 120_000);

  afterAll(() => system?.stop());

  const on = (): HostedSystem => {
    if (!system) throw new Error('the hosts did not start');
    return system;
  };
  const clientUrl = (): string => on().clientUrl;

  it('completes a run exact, every link over mutual TLS with signed messages', async () => {
    const query = 'connection_count=10&connection_value=50&delay_range=0.3&wait=saved';
    const response = await fetch(`${clientUrl()}/?${query}`, {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    const run = (await response.json()) as RunView;
    expect({ status: response.status, state: run.state }).toEqual({
      status: 200,
      state: 'completed',
    });
    await expectOrderedFile(run.file, run);
  }, 90_000);

  it('leaves nothing open: no process warns of an open listener or route', () => {
    for (const log of on().logs) expect(log).not.toContain('open:');
  });

  it('answers no stranger on the network: without a certificate, each listener stays silent', async () => {
    const { hosts } = on();
    const ports = { server: 5001, processor: 5002, saver: 5003 } as const;
    for (const [role, port] of Object.entries(ports)) {
      const outcome = await new Promise<string>((resolve) => {
        const socket = tlsConnect({ host: hosts.address(role), port, ca: authority.ca });
        socket.once('data', () => resolve('answered'));
        socket.once('error', () => resolve('refused'));
        socket.once('close', () => resolve('refused'));
        socket.once('secureConnect', () => socket.write('{"pattern":"saver.ping","data":{}}\n'));
      });
      expect({ role, outcome }).toEqual({ role, outcome: 'refused' });
    }
    // And without the token, the API refuses.
    expect((await fetch(`${clientUrl()}/runs`)).status).toBe(401);
  });
});
