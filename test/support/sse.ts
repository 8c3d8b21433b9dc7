import type { RunProgress } from '../../src/common/contracts/http.js';
import { readSse, textChunks } from '../../src/cli/sse.js';

export interface ReceivedEvent {
  readonly type: string;
  readonly id?: string;
  readonly progress: RunProgress;
  /** Date.now() when the event was read. */
  readonly at: number;
}

/** Opens `GET /runs/:runId/events` and reads it; `next` reads one event, `rest` reads to the end. */
export class SseReader {
  private readonly events: AsyncGenerator<ReceivedEvent>;

  private constructor(
    readonly status: number,
    readonly contentType: string,
    body: ReadableStream<Uint8Array>,
    private readonly controller: AbortController,
  ) {
    this.events = (async function* () {
      for await (const event of readSse(textChunks(body))) {
        yield {
          type: event.event,
          id: event.id,
          progress: JSON.parse(event.data) as RunProgress,
          at: Date.now(),
        };
      }
    })();
  }

  /** `lastEventId` is sent as an EventSource sends it when it reconnects. */
  static async open(baseUrl: string, runId: string, lastEventId?: string): Promise<SseReader> {
    const controller = new AbortController();
    const response = await fetch(`${baseUrl}/runs/${runId}/events`, {
      signal: controller.signal,
      headers: lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId },
    });
    if (!response.body) throw new Error('no body');
    return new SseReader(
      response.status,
      response.headers.get('content-type') ?? '',
      response.body,
      controller,
    );
  }

  async next(): Promise<ReceivedEvent | undefined> {
    const next: IteratorResult<ReceivedEvent> = await this.events.next();
    return next.done ? undefined : next.value;
  }

  /** Every event up to the end of the stream (the server closes it). */
  async rest(): Promise<ReceivedEvent[]> {
    const events: ReceivedEvent[] = [];
    for await (const event of this.events) events.push(event);
    return events;
  }

  /** Goes away in the middle of the stream, as a closed browser tab does. */
  abort(): void {
    this.controller.abort();
  }
}

/** Waits until `condition` holds (checked every 20 ms), or fails after `withinMs`. */
export async function eventually(
  condition: () => boolean,
  what: string,
  withinMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${withinMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
