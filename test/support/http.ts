import type { RunView } from '../../src/common/contracts/http.js';
import { PipelineApi, type StartWait } from '../../src/cli/api.js';

/*
 * Raw requests, for tests of the HTTP API itself: they read the status and headers of any answer,
 * errors included, and send what the typed client never would. Everything else goes through the
 * CLI's typed client (`PipelineApi`).
 */

export interface HttpAnswer<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

/** Any method, with a JSON body if given; the body is read as JSON when there is one. */
export async function send<T = unknown>(
  method: string,
  url: string,
  body?: unknown,
): Promise<HttpAnswer<T>> {
  const response = await fetch(url, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (text.length > 0 ? JSON.parse(text) : undefined) as T,
  };
}

/** `GET /` with any query, valid or not; the test reads the status. */
export function startRun(
  baseUrl: string,
  query: Record<string, string | number>,
): Promise<HttpAnswer<RunView>> {
  const search = new URLSearchParams(
    Object.entries(query).map(([key, value]): [string, string] => [key, String(value)]),
  );
  return send<RunView>('GET', `${baseUrl}/?${search.toString()}`);
}

/** The run once it has ended (completed, failed, cancelled or interrupted); fails when time is up. */
export function settledRun(baseUrl: string, runId: string, withinMs = 30_000): Promise<RunView> {
  return new PipelineApi(baseUrl).settled(runId, { withinMs });
}

/** Polls `url` until `accept` holds for its answer, or fails with the last answer when time is up. */
export async function until<T>(
  url: string,
  accept: (answer: HttpAnswer<T>) => boolean,
  withinMs = 20_000,
): Promise<HttpAnswer<T>> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const answer = await send<T>('GET', url);
    if (accept(answer)) return answer;
    if (Date.now() > deadline)
      throw new Error(`${url} never met the condition; last: ${JSON.stringify(answer.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * `GET /?connection_count=…&connection_value=…&delay_range=…&wait=…`: a run of `connections` ×
 * `values` tasks, answered as it came (status included) when `wait` says.
 */
export function requestRun(
  baseUrl: string,
  connections: number,
  values: number,
  delayRange: number,
  wait: StartWait,
): Promise<HttpAnswer<RunView>> {
  return startRun(baseUrl, {
    connection_count: connections,
    connection_value: values,
    delay_range: delayRange,
    wait,
  });
}

/** `GET /?…&wait=saved`: the run once its file is complete, or once it failed (any answer's body). */
export async function savedRun(
  baseUrl: string,
  connections: number,
  values: number,
  delayRange = 0,
): Promise<RunView> {
  return (await requestRun(baseUrl, connections, values, delayRange, 'saved')).body;
}
