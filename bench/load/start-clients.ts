// A bench child: CLIENTS HTTP clients that start runs in a loop for DURATION_MS, then print one
// `BENCH {json}` line with what they got. POLITE=1 waits `Retry-After` after a 429; POLITE=0 asks
// again at once, as a load tool or a naive retry loop does.
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { SIGNAL_PREFIX } from '../../harness/child.js';

export interface StartClientsFigures {
  readonly clients: number;
  readonly polite: boolean;
  readonly seconds: number;
  /** Runs answered 200 (`wait=saved`: complete on disk). */
  readonly completed: number;
  /** Answers 429. */
  readonly refused: number;
  /** Any other answer or a failed request. */
  readonly errors: number;
  /** Of the completed runs, ms from the request to its answer. */
  readonly completedMs: { readonly p50: number; readonly p99: number };
}

const numberFrom = (name: string): number => {
  const value = Number(process.env[name]);
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number`);
  return value;
};

const baseUrl = new URL(process.env.BASE_URL ?? 'http://127.0.0.1:5000');
const clients = numberFrom('CLIENTS');
const durationMs = numberFrom('DURATION_MS');
const polite = process.env.POLITE === '1';
const path = `/?${process.env.RUN_QUERY ?? 'connection_count=2&connection_value=10&delay_range=0'}&wait=saved`;
const agent = new Agent({ keepAlive: true, maxSockets: clients });

interface Answer {
  readonly status: number;
  readonly retryAfter: number;
}

function startRun(): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request({ host: baseUrl.hostname, port: baseUrl.port, path, agent }, (response) => {
      response.resume();
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          retryAfter: Number(response.headers['retry-after'] ?? 1),
        }),
      );
      response.on('error', () => resolve({ status: 0, retryAfter: 1 }));
    });
    req.on('error', () => resolve({ status: 0, retryAfter: 1 }));
    req.end();
  });
}

async function main(): Promise<void> {
  const completedMs: number[] = [];
  let refused = 0;
  let errors = 0;
  const started = performance.now();
  const endAt = started + durationMs;
  const client = async (): Promise<void> => {
    while (performance.now() < endAt) {
      const asked = performance.now();
      const answer = await startRun();
      if (answer.status === 200) completedMs.push(performance.now() - asked);
      else if (answer.status === 429) {
        refused++;
        if (polite) await sleep(Math.min(answer.retryAfter * 1000, endAt - performance.now()));
      } else {
        errors++;
        await sleep(100);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  const seconds = (performance.now() - started) / 1000;
  completedMs.sort((a, b) => a - b);
  const at = (share: number): number =>
    completedMs.length === 0
      ? NaN
      : completedMs[Math.min(completedMs.length - 1, Math.floor(share * completedMs.length))];
  const figures: StartClientsFigures = {
    clients,
    polite,
    seconds,
    completed: completedMs.length,
    refused,
    errors,
    completedMs: { p50: at(0.5), p99: at(0.99) },
  };
  agent.destroy();
  process.stdout.write(`${SIGNAL_PREFIX}${JSON.stringify(figures)}\n`);
}

void main();
