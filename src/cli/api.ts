import type { RunProgress, RunReport, RunView } from '../common/contracts/http.js';
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

export type ProgressMessage =
  | { readonly type: 'progress'; readonly progress: RunProgress }
  | { readonly type: 'end'; readonly progress: RunProgress };

/** The client's HTTP API as the CLI uses it (Node's global fetch). */
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

  /** Starts a run and answers at once (`wait=none`). */
  async start(request: RunRequest): Promise<RunView> {
    const query = new URLSearchParams({
      connection_count: String(request.connections),
      connection_value: String(request.values),
      delay_range: String(request.delay),
      wait: 'none',
    });
    return this.json<RunView>(`/?${query.toString()}`);
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
    if (!response.ok || !response.body) throw await this.failure(response);
    for await (const event of readSse(textChunks(response.body))) {
      if (event.event !== 'progress' && event.event !== 'end') continue;
      yield { type: event.event, progress: JSON.parse(event.data) as RunProgress };
    }
  }

  private async json<T>(path: string): Promise<T> {
    const response = await this.fetch(path);
    if (!response.ok) throw await this.failure(response);
    return (await response.json()) as T;
  }

  private async fetch(path: string, signal?: AbortSignal): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl}${path}`, {
        signal,
        ...(this.token === undefined ? {} : { headers: { authorization: `Bearer ${this.token}` } }),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiError(
        `cannot reach ${this.baseUrl}: ${cause?.code ?? cause?.message ?? String(error)}`,
      );
    }
  }

  /** Nest's error body names what was wrong (`message`: a string or one per field). */
  private async failure(response: Response): Promise<ApiError> {
    const body = (await response.json().catch(() => ({}))) as { message?: string | string[] };
    const message = Array.isArray(body.message) ? body.message.join('; ') : body.message;
    const retryAfter = Number(response.headers.get('retry-after') ?? NaN);
    return new ApiError(
      `${response.url} answered ${response.status}${message ? `: ${message}` : ''}`,
      response.status === 400,
      Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
    );
  }
}
