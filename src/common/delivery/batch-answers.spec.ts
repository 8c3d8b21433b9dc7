import { describe, expect, it } from '@jest/globals';
import { RpcException } from '@nestjs/microservices';
import { answerEach } from './batch-answers.js';
import { refuseForNow } from './refusal.js';

describe(answerEach.name, () => {
  it('answers each item as a single request would have been answered, in the batch order', async () => {
    const answer = await answerEach([1, 2, 3, 4], async (item) => {
      await new Promise((resolve) => setTimeout(resolve, 5 - item));
      if (item === 2) throw refuseForNow('full');
      if (item === 3) throw new RpcException('seq must be an integer in 1..total');
      if (item === 4) throw new TypeError('a bug');
      return item * 10;
    });
    expect(answer.answers).toEqual([
      { ok: 10 },
      { error: { status: 'error', message: 'full', retryable: true } },
      { error: { status: 'error', message: 'seq must be an integer in 1..total' } },
      // What Nest answers for an error that is not an RpcException: nothing of its inside.
      { error: { status: 'error', message: 'Internal server error' } },
    ]);
  });
});
