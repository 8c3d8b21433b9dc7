import type { RunView } from '../src/common/contracts/http.js';
import { get } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunShape {
  readonly connections: number;
  readonly values: number;
}

export const shapeName = ({ connections, values }: RunShape): string => `${connections}×${values}`;
export const totalOf = ({ connections, values }: RunShape): number => connections * values;

/** `GET url` answered as JSON. node:http, not fetch: fetch gives up on an answer after 300 s. */
export async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as T });
        } catch {
          reject(
            new Error(`GET ${url}: ${response.statusCode} with a body that is not JSON: ${text}`),
          );
        }
      });
      response.on('error', reject);
    }).on('error', reject);
  });
}

export interface TimedRun {
  readonly view: RunView;
  /** From sending the GET to its answer, measured here. */
  readonly wallMs: number;
}

/** Starts a run through the HTTP API and waits for the answer (`wait=saved`: the file is complete). */
export async function runOverHttp(
  baseUrl: string,
  shape: RunShape,
  delayRange: number,
  wait: 'saved' | 'acked' | 'none',
): Promise<TimedRun> {
  const query = new URLSearchParams({
    connection_count: String(shape.connections),
    connection_value: String(shape.values),
    delay_range: String(delayRange),
    wait,
  });
  const started = performance.now();
  const { status, body } = await getJson<RunView>(`${baseUrl}/?${query.toString()}`);
  const wallMs = performance.now() - started;
  const expected = wait === 'none' ? 202 : 200;
  if (status !== expected) {
    throw new Error(`GET /?${query.toString()} answered ${status}: ${JSON.stringify(body)}`);
  }
  return { view: body, wallMs };
}

/** Throws unless the run completed with every task acknowledged. */
export function expectCompleted(view: RunView, what: string): void {
  if (view.state !== 'completed' || view.failed !== 0 || view.written !== view.total) {
    throw new Error(
      `${what}: the run did not complete cleanly: state ${view.state}, ${view.written}/${view.total} ` +
        `written, ${view.failed} failed${view.error ? `, ${view.error}` : ''}`,
    );
  }
}

/** Polls `GET /runs/:id` every `everyMs` until `until(view)` holds; answers that view. */
export async function pollRun(
  baseUrl: string,
  runId: string,
  until: (view: RunView) => boolean,
  everyMs: number,
  withinMs: number,
): Promise<RunView> {
  const deadline = performance.now() + withinMs;
  for (;;) {
    const { body } = await getJson<RunView>(`${baseUrl}/runs/${runId}`);
    if (until(body)) return body;
    if (body.state === 'failed') throw new Error(`run ${runId} failed: ${body.error ?? '?'}`);
    if (performance.now() > deadline) {
      throw new Error(`run ${runId} still ${body.state} after ${withinMs} ms`);
    }
    await sleep(everyMs);
  }
}
