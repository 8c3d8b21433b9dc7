import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  isFinal,
  type RunProgress,
  type RunReport,
  type RunView,
} from '../common/contracts/http.js';
import { readSse, textChunks } from './sse.js';

/**
 * An answer of the app that is not what the CLI asked for; `usage` when the request was wrong,
 * `retryAfterSeconds` when the app said when to come back (429, 503).
 */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly usage = false,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** How `startWhenAdmitted` waits while the app answers "later". */
export interface Patience {
  /** Gives up when the waits, added up, would pass this many ms. */
  readonly forMs: number;
  /** Told each wait before it starts. */
  readonly onWait?: (seconds: number, reason: string) => void;
  /** Waits `ms` (tests give their own). */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface RunRequest {
  readonly connections: number;
  readonly values: number;
  readonly delay: number;
}

/** A page of `GET /runs` (the operator API): newest first. */
export interface RunList {
  readonly runs: readonly RunView[];
  readonly total: number;
}

/** When `GET /` answers: at once (`none`, 202), once every task is acknowledged, or saved. */
export type StartWait = 'none' | 'acked' | 'saved';

/** How `until` polls a run. */
export interface Polling {
  readonly everyMs?: number;
  readonly withinMs?: number;
}

/** An answer as it came: the status, the headers, the body's text (JSON on every route but `/`). */
interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly url: string;
}

export type ProgressMessage =
  | { readonly type: 'progress'; readonly progress: RunProgress }
  | { readonly type: 'end'; readonly progress: RunProgress };

/**
 * The client's HTTP API, typed from common/contracts/http: the CLI's, and the tests' and the
 * bench's for every request that is not itself under test. Answers over node:http, not fetch: fetch
 * gives up on an answer after 300 s, and `wait=saved` on a large run answers later than that.
 */
export class PipelineApi {
  readonly baseUrl: string;

  constructor(
    url: string,
    /** API_TOKEN, sent as `Authorization: Bearer …` with every request. */
    private readonly token?: string,
  ) {
    this.baseUrl = url.replace(/\/+$/, '');
  }

  reportUrl(runId: string): string {
    return `${this.baseUrl}/runs/${encodeURIComponent(runId)}/report`;
  }

  /** Starts a run; answers at once (`wait=none`), or once its tasks are acknowledged or saved. */
  async start(request: RunRequest, wait: StartWait = 'none'): Promise<RunView> {
    const query = new URLSearchParams({
      connection_count: String(request.connections),
      connection_value: String(request.values),
      delay_range: String(request.delay),
      wait,
    });
    return this.json<RunView>(`/?${query.toString()}`);
  }

  run(runId: string): Promise<RunView> {
    return this.json<RunView>(`/runs/${encodeURIComponent(runId)}`);
  }

  cancel(runId: string): Promise<RunView> {
    return this.json<RunView>(`/runs/${encodeURIComponent(runId)}`, 'DELETE');
  }

  /**
   * Polls the run until `accept` holds for it; fails when it ends (completed, failed…) without
   * that, or when `withinMs` has passed.
   */
  async until(
    runId: string,
    accept: (view: RunView) => boolean,
    { everyMs = 50, withinMs = 30_000 }: Polling = {},
  ): Promise<RunView> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const view = await this.run(runId);
      if (accept(view)) return view;
      const ended = isFinal(view.state);
      if (ended || Date.now() > deadline) {
        const why = ended ? `ended ${view.state}` : `still ${view.state} after ${withinMs} ms`;
        throw new ApiError(`run ${runId} ${why}${view.error ? `: ${view.error}` : ''}`);
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }

  /** The run once it has ended, however it ended (completed, failed, cancelled, interrupted). */
  settled(runId: string, polling?: Polling): Promise<RunView> {
    return this.until(runId, (view) => isFinal(view.state), polling);
  }

  /**
   * Starts a run; while the app answers 429 or 503 with `Retry-After` (its queue is full, it is
   * restarting), waits as long as it says and asks again, within `patience`.
   */
  async startWhenAdmitted(request: RunRequest, patience: Patience): Promise<RunView> {
    const sleep = patience.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
    let waitedMs = 0;
    for (;;) {
      try {
        return await this.start(request);
      } catch (error) {
        const seconds = error instanceof ApiError ? error.retryAfterSeconds : undefined;
        const waitMs = (seconds ?? 0) * 1000;
        if (seconds === undefined || waitedMs + waitMs > patience.forMs) throw error;
        patience.onWait?.(seconds, (error as ApiError).message);
        await sleep(waitMs);
        waitedMs += waitMs;
      }
    }
  }

  report(runId: string): Promise<RunReport> {
    return this.json<RunReport>(`/runs/${encodeURIComponent(runId)}/report.json`);
  }

  list(limit: number): Promise<RunList> {
    return this.json<RunList>(`/runs?limit=${limit}`);
  }

  /** The run's progress events until its `end` event (the stream closes after it). */
  async *progress(runId: string, signal?: AbortSignal): AsyncGenerator<ProgressMessage> {
    const response = await this.fetch(`/runs/${encodeURIComponent(runId)}/events`, signal);
    if (!response.ok || !response.body) {
      const { status, url, headers } = response;
      const text = await response.text().catch(() => '');
      throw failure({ status, url, text, headers: Object.fromEntries(headers) });
    }
    for await (const event of readSse(textChunks(response.body))) {
      if (event.event !== 'progress' && event.event !== 'end') continue;
      yield { type: event.event, progress: JSON.parse(event.data) as RunProgress };
    }
  }

  private async json<T>(path: string, method = 'GET'): Promise<T> {
    const answer = await this.request(method, path);
    if (answer.status < 200 || answer.status > 299) throw failure(answer);
    return JSON.parse(answer.text) as T;
  }

  private get headers(): Record<string, string> {
    return this.token === undefined ? {} : { authorization: `Bearer ${this.token}` };
  }

  private request(method: string, path: string): Promise<RawAnswer> {
    const url = `${this.baseUrl}${path}`;
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const unreachable = (error: NodeJS.ErrnoException) =>
        reject(new ApiError(`cannot reach ${this.baseUrl}: ${error.code ?? error.message}`));
      send(url, { method, headers: this.headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', unreachable);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
            url,
          }),
        );
      })
        .on('error', unreachable)
        .end();
    });
  }

  /** The event stream over fetch, which hands its body over as it comes. */
  private async fetch(path: string, signal?: AbortSignal): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl}${path}`, { signal, headers: this.headers });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiError(
        `cannot reach ${this.baseUrl}: ${cause?.code ?? cause?.message ?? String(error)}`,
      );
    }
  }
}

/** Nest's error body names what was wrong (`message`: a string or one per field). */
function failure(answer: RawAnswer): ApiError {
  let body: { message?: string | string[] } = {};
  try {
    body = JSON.parse(answer.text) as typeof body;
  } catch {
    // Not Nest's JSON (a proxy's page): the status alone says it.
  }
  const message = Array.isArray(body.message) ? body.message.join('; ') : body.message;
  const retryAfter = Number(answer.headers['retry-after'] ?? NaN);
  return new ApiError(
    `${answer.url} answered ${answer.status}${message ? `: ${message}` : ''}`,
    answer.status === 400,
    Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
  );
}
