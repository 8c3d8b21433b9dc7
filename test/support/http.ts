export interface HttpAnswer<T> {
  readonly status: number;
  readonly body: T;
}

export async function getJson<T = unknown>(url: string): Promise<HttpAnswer<T>> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

/** Starts a run through the real HTTP API and expects it to be taken. */
export async function startRun(
  baseUrl: string,
  query: Record<string, string | number>,
): Promise<HttpAnswer<RunView>> {
  const search = new URLSearchParams(
    Object.entries(query).map(([key, value]): [string, string] => [key, String(value)]),
  );
  return getJson<RunView>(`${baseUrl}/?${search.toString()}`);
}

/** Polls `GET /runs/:runId` until the run has settled (completed or failed), or the time is up. */
export async function settledRun(
  baseUrl: string,
  runId: string,
  withinMs = 30_000,
): Promise<RunView> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const { body } = await getJson<RunView>(`${baseUrl}/runs/${runId}`);
    if (body.state === 'completed' || body.state === 'failed' || Date.now() > deadline) return body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface FullAnswer<T> extends HttpAnswer<T> {
  readonly headers: Headers;
}

/** Any method, with a JSON body if given; the body is read as JSON when there is one. */
export async function send<T = unknown>(
  method: string,
  url: string,
  body?: unknown,
): Promise<FullAnswer<T>> {
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

/** Polls `url` until `accept` holds for its answer, or fails with the last answer when time is up. */
export async function until<T>(
  url: string,
  accept: (answer: FullAnswer<T>) => boolean,
  withinMs = 20_000,
): Promise<FullAnswer<T>> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const answer = await send<T>('GET', url);
    if (accept(answer)) return answer;
    if (Date.now() > deadline)
      throw new Error(`${url} never met the condition; last: ${JSON.stringify(answer.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
import type { RunView } from '../../src/common/contracts/http.js';
