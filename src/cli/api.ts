import type { RunProgress } from '../client/progress/run-progress.js';
import type { RunReport } from '../client/report/run-report.js';
import type { RunView } from '../client/run.js';
import { readSse, textChunks } from './sse.js';

/** An answer of the app that is not what the CLI asked for; `usage` when the request was wrong. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly usage = false,
  ) {
    super(message);
  }
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

  constructor(url: string) {
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
      return await fetch(`${this.baseUrl}${path}`, { signal });
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
    return new ApiError(
      `${response.url} answered ${response.status}${message ? `: ${message}` : ''}`,
      response.status === 400,
    );
  }
}
