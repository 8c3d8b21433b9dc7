/** One Server-Sent Event as it came over the wire: its type (`message` by default) and data. */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
  readonly id?: string;
}

/**
 * Reads Server-Sent Events from a stream of text chunks (the parts of the format this app's
 * streams use: `event`, `data` over one or more lines, `id`, and comments, which are skipped).
 */
export async function* readSse(chunks: AsyncIterable<string>): AsyncGenerator<SseEvent> {
  let pending = '';
  for await (const chunk of chunks) {
    pending += chunk;
    for (;;) {
      const end = /\r?\n\r?\n/.exec(pending);
      if (!end) break;
      const block = pending.slice(0, end.index);
      pending = pending.slice(end.index + end[0].length);
      const event = parseBlock(block);
      if (event) yield event;
    }
  }
}

function parseBlock(block: string): SseEvent | undefined {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  if (data.length === 0) return undefined;
  return { event, data: data.join('\n'), ...(id === undefined ? {} : { id }) };
}

/** The text of a fetch response body, chunk by chunk. */
export async function* textChunks(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  for await (const bytes of body as unknown as AsyncIterable<Uint8Array>) {
    yield decoder.decode(bytes, { stream: true });
  }
}
