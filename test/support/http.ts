import type { RunView } from '../../src/client/run.js';

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
