import { Child } from '../../harness/child.js';
import { benchScript } from '../paths.js';
import { summarize, type Summary } from '../stats.js';
import type { Log } from '../log.js';

export type BaselineKind = '1-hop' | '2-hop';

export interface BaselineResult {
  readonly kind: BaselineKind;
  readonly connections: number;
  readonly window: number;
  readonly messages: number;
  readonly msgsPerSecond: Summary;
}

export interface BaselinePlan {
  /** (connections, tasks per connection) pairs to measure, one per end-to-end shape. */
  readonly loads: readonly { connections: number; perConnection: number }[];
  readonly window: number;
  readonly repeat: number;
}

/**
 * Bare Nest TCP, same machine, same run: a loader process sends Task-shaped requests to an
 * answerer (1 hop) or through a forwarder to an answerer (2 hops), `window` in flight per connection.
 */
export async function runBaselines(plan: BaselinePlan, log: Log): Promise<BaselineResult[]> {
  const results: BaselineResult[] = [];
  for (const kind of ['1-hop', '2-hop'] as const) {
    for (const { connections, perConnection } of plan.loads) {
      const servers: Child[] = [];
      try {
        const answerer = Child.start('baseline answerer', benchScript('baseline/answerer.js'), {});
        servers.push(answerer);
        let { port } = await answerer.nextSignal<{ port: number }>(20_000);
        if (kind === '2-hop') {
          const forwarder = Child.start(
            'baseline forwarder',
            benchScript('baseline/forwarder.js'),
            {
              ANSWERER_PORT: String(port),
              FORWARD_CONNECTIONS: String(connections),
            },
          );
          servers.push(forwarder);
          ({ port } = await forwarder.nextSignal<{ port: number }>(20_000));
        }
        const loader = Child.start('baseline loader', benchScript('baseline/loader.js'), {
          TARGET_PORT: String(port),
          CONNECTIONS: String(connections),
          PER_CONNECTION: String(perConnection),
          WINDOW: String(plan.window),
          REPEAT: String(plan.repeat),
        });
        const rates: number[] = [];
        for (let at = 1; at <= plan.repeat; at++) {
          const pass = await loader.nextSignal<{ messages: number; elapsedMs: number }>();
          const rate = pass.messages / (pass.elapsedMs / 1000);
          rates.push(rate);
          log.detail(`baseline ${kind} ${connections} conn: ${Math.round(rate)} msg/s`);
        }
        if ((await loader.ended()) !== 0) throw loader.failure('did not end cleanly');
        results.push({
          kind,
          connections,
          window: plan.window,
          messages: connections * perConnection,
          msgsPerSecond: summarize(rates),
        });
      } finally {
        for (const server of servers.reverse()) await server.stop();
      }
    }
  }
  return results;
}
