import { describe, expect, it } from '@jest/globals';
import type { ClientProxy } from '@nestjs/microservices';
import { NO_MESSAGE_HANDLER } from '@nestjs/microservices/constants.js';
import { Subject, type Observable } from 'rxjs';
import { BoundedSlots } from '../bounded-slots.js';
import type { Batch, BatchAnswer, ItemAnswer } from '../contracts/messages.js';
import { BatchingSender, type BatchingOptions, type Lane } from './batching-sender.js';
import { isRetryableRefusal } from './refusal.js';
import { RequestTimeoutError } from './request-with-retry.js';

const PATTERN = 'processor.tasks';

/** A connection whose every request waits until the test answers it. */
function fakeLane(capacity: number) {
  const requests: { pattern: string; batch: Batch<number>; answer: Subject<unknown> }[] = [];
  const proxy = {
    send: (pattern: string, batch: Batch<number>): Observable<unknown> => {
      const answer = new Subject<unknown>();
      requests.push({ pattern, batch, answer });
      return answer;
    },
  } as unknown as ClientProxy;
  const lane: Lane = { proxy, slots: new BoundedSlots(capacity, 100, 0) };
  const reply = (at: number, answers: readonly ItemAnswer<string>[]) => {
    requests[at].answer.next({ answers } satisfies BatchAnswer<string>);
    requests[at].answer.complete();
  };
  return { lane, requests, reply };
}

function senderOver(
  lane: Lane,
  options: BatchingOptions = { maxItems: 3, maxWaiting: 100 },
): BatchingSender<number, string> {
  return new BatchingSender<number, string>(PATTERN, options, async () => {
    await lane.slots.acquire();
    return lane;
  });
}

/** Resolves once the event loop has turned (a batch leaves on the next turn). */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const settled = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

describe(BatchingSender.name, () => {
  it('sends what is submitted in one turn as one batch and answers each item on its own', async () => {
    const { lane, requests, reply } = fakeLane(4);
    const sender = senderOver(lane);
    const answers = [1, 2, 3].map((item) => settled(sender.submit(item, 10_000)));
    await nextTurn();
    expect(requests.map((request) => request.batch.items)).toEqual([[1, 2, 3]]);
    const refusal = { status: 'error', message: 'full', retryable: true } as const;
    reply(0, [{ ok: 'one' }, { error: refusal }, { ok: 'three' }]);
    expect(await Promise.all(answers)).toEqual([
      { value: 'one' },
      { error: refusal },
      { value: 'three' },
    ]);
    expect(lane.slots.held).toBe(0);
  });

  it('never puts more than maxItems in a batch', async () => {
    const { lane, requests } = fakeLane(4);
    const sender = senderOver(lane);
    const answers = [1, 2, 3, 4, 5, 6, 7].map((item) => settled(sender.submit(item, 10_000)));
    await nextTurn();
    await nextTurn();
    expect(requests.map((request) => request.batch.items)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    for (const request of requests) request.answer.error(new Error('closed'));
    await Promise.all(answers);
  });

  it('gathers what comes while the window is full into the next batch', async () => {
    const { lane, requests, reply } = fakeLane(1);
    const sender = senderOver(lane, { maxItems: 10, maxWaiting: 100 });
    const first = sender.submit(1, 10_000);
    await nextTurn();
    const later = [2, 3, 4].map((item) => sender.submit(item, 10_000));
    await nextTurn();
    expect(requests).toHaveLength(1);
    expect(sender.waiting).toBe(3);
    reply(0, [{ ok: 'a' }]);
    await first;
    await nextTurn();
    expect(requests.map((request) => request.batch.items)).toEqual([[1], [2, 3, 4]]);
    reply(1, [{ ok: 'b' }, { ok: 'c' }, { ok: 'd' }]);
    expect(await Promise.all(later)).toEqual(['b', 'c', 'd']);
  });

  it('fails every item of a batch whose request failed, and frees the connection', async () => {
    const { lane, requests } = fakeLane(1);
    const sender = senderOver(lane);
    const answers = [1, 2].map((item) => settled(sender.submit(item, 10_000)));
    await nextTurn();
    const failure = new Error('connect ECONNREFUSED');
    requests[0].answer.error(failure);
    expect(await Promise.all(answers)).toEqual([{ error: failure }, { error: failure }]);
    expect(lane.slots.held).toBe(0);
  });

  it('fails every item when the answer does not match the batch', async () => {
    const { lane, reply } = fakeLane(1);
    const sender = senderOver(lane);
    const answers = [1, 2].map((item) => settled(sender.submit(item, 10_000)));
    await nextTurn();
    reply(0, [{ ok: 'only one' }]);
    for (const answer of await Promise.all(answers)) {
      expect(answer).toEqual({
        error: new Error(`${PATTERN}: the answer does not match the batch`),
      });
    }
  });

  it('refuses for now an item that finds the line of waiting items full', async () => {
    const { lane } = fakeLane(1);
    const sender = senderOver(lane, { maxItems: 1, maxWaiting: 2 });
    const waiting = [1, 2].map((item) => settled(sender.submit(item, 50)));
    const refused = await settled(sender.submit(3, 50));
    expect('error' in refused && isRetryableRefusal(refused.error)).toBe(true);
    await Promise.all(waiting);
  });

  it('sends the items one by one to a peer that has no handler for batches', async () => {
    const { lane, requests } = fakeLane(1);
    const sender = senderOver(lane, {
      maxItems: 10,
      maxWaiting: 100,
      singlePattern: 'processor.task',
    });
    const answers = [1, 2].map((item) => sender.submit(item, 10_000));
    await nextTurn();
    requests[0].answer.error(NO_MESSAGE_HANDLER);
    // One at a time under the batch's slot: the second leaves once the first is answered.
    for (const at of [1, 2]) {
      await nextTurn();
      expect(requests).toHaveLength(at + 1);
      expect([requests[at].pattern, requests[at].batch]).toEqual(['processor.task', at]);
      requests[at].answer.next(`single ${at}`);
      requests[at].answer.complete();
    }
    expect(await Promise.all(answers)).toEqual(['single 1', 'single 2']);
    // And the next items too, without asking for a batch first.
    const next = sender.submit(3, 10_000);
    await nextTurn();
    expect(requests[3].pattern).toBe('processor.task');
    requests[3].answer.next('single 3');
    expect(await next).toBe('single 3');
  });

  it('fails, never sent, an item that waited for a connection longer than its timeout', async () => {
    const { lane, requests, reply } = fakeLane(1);
    const sender = senderOver(lane);
    const first = sender.submit(1, 10_000);
    await nextTurn();
    const late = settled(sender.submit(2, 20));
    // The only connection stays busy past the second item's timeout.
    await new Promise((resolve) => setTimeout(resolve, 40));
    reply(0, [{ ok: 'a' }]);
    await first;
    const answer = await late;
    // A transport failure (the caller's deadline applies), not a refusal (its patience would).
    expect('error' in answer && answer.error).toBeInstanceOf(Error);
    expect('error' in answer && isRetryableRefusal(answer.error)).toBe(false);
    expect(requests).toHaveLength(1);
  });

  it('gives a batch the longest timeout of its items', async () => {
    const { lane, requests, reply } = fakeLane(1);
    const sender = senderOver(lane);
    // One item retried near its deadline (little time left) and one fresh: the batch waits for the
    // fresh one's, past the short one's.
    const answers = [sender.submit(1, 300), sender.submit(2, 10_000)];
    await nextTurn();
    expect(requests).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 600));
    reply(0, [{ ok: 'a' }, { ok: 'b' }]);
    expect(await Promise.all(answers)).toEqual(['a', 'b']);
    expect(requests).toHaveLength(1);
  });

  it('ends an item that is not answered within its timeout, and frees the connection', async () => {
    const { lane, requests } = fakeLane(1);
    const sender = senderOver(lane);
    const answer = await settled(sender.submit(1, 20));
    expect(requests).toHaveLength(1);
    expect('error' in answer && answer.error).toBeInstanceOf(RequestTimeoutError);
    expect(lane.slots.held).toBe(0);
  });
});
