import { describe, expect, it } from '@jest/globals';
import { readSse, type SseEvent } from './sse.js';

async function* chunks(...parts: string[]): AsyncGenerator<string> {
  for (const part of parts) yield await Promise.resolve(part);
}

const all = async (parts: string[]): Promise<SseEvent[]> => {
  const events: SseEvent[] = [];
  for await (const event of readSse(chunks(...parts))) events.push(event);
  return events;
};

describe(readSse.name, () => {
  it('reads events split anywhere across chunks, with types, ids and multi-line data', async () => {
    expect(
      await all([
        'event: progress\nid: 1\nda',
        'ta: {"a":1}\n',
        '\n:comment\n\ndata: x\r\n',
        'data: y\r\n\r\n',
      ]),
    ).toEqual([
      { event: 'progress', id: '1', data: '{"a":1}' },
      { event: 'message', data: 'x\ny' },
    ]);
  });

  it('skips blocks without data and an unfinished last block', async () => {
    expect(await all(['event: ping\n\n', 'event: end\ndata: 1'])).toEqual([]);
  });
});
