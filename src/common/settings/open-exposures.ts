import type { Settings } from './settings.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * What this process leaves open to anyone who can reach it, one line each, for a warning at start:
 * an HTTP API without API_TOKEN, metrics without METRICS_TOKEN, and TCP listeners that take any
 * message (no MESSAGE_KEY), on an address other than loopback. Nothing on loopback (the default).
 */
export function openExposures(settings: Settings): string[] {
  const host = settings.listenHost;
  if (LOOPBACK.test(host)) return [];
  const open: string[] = [];
  const runsClient = settings.modules.includes('client');
  if (runsClient && settings.access.apiToken === undefined)
    open.push(
      `the HTTP API on ${host}:${settings.clientPort} starts and cancels runs for anyone: set API_TOKEN`,
    );
  if (settings.access.metricsToken === undefined)
    open.push(`/metrics on ${host} answers anyone: set METRICS_TOKEN if that matters`);
  const listeners = settings.modules.filter((module) => module !== 'client');
  const guarded = settings.messageKeys.length > 0 || settings.tls !== undefined;
  if (settings.transport === 'tcp' && listeners.length > 0 && !guarded)
    open.push(
      `the ${listeners.join(', ')} listener(s) on ${host} take any message from anyone who reaches them: set TLS_CA, TLS_CERT and TLS_KEY (mutual TLS) or MESSAGE_KEY (signed messages) on every process`,
    );
  return open;
}
