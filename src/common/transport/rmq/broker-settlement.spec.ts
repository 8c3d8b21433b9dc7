import { describe, expect, it } from '@jest/globals';
import { isObservable, lastValueFrom, toArray, type Observable } from 'rxjs';
import { loadSettings } from '../../settings/environment.js';
import { BrokerSettlement } from './broker-settlement.js';

const answer = { answers: [{ ok: 'Ok' }] };

describe(BrokerSettlement.name, () => {
  it('answers at once and keeps nothing for the work, where the broker takes no acknowledgement', () => {
    const settlement = new BrokerSettlement(loadSettings({ TRANSPORT: 'nats' }));
    let asked = false;
    const done = () => {
      asked = true;
      return new Promise<boolean>(() => {});
    };
    expect(settlement.answerThenSettle(answer, done, 'a batch')).toBe(answer);
    expect(asked).toBe(false);
  });

  describe('on RabbitMQ (acknowledged when the handler completes)', () => {
    const settlement = new BrokerSettlement(loadSettings({ TRANSPORT: 'rmq' }));
    const settle = (done: Promise<boolean>) =>
      settlement.answerThenSettle(answer, () => done, 'a batch') as Observable<typeof answer>;

    it('answers at once, and completes only once the work is done', async () => {
      let finish: (ok: boolean) => void = () => {};
      const outcome = settle(new Promise<boolean>((resolve) => (finish = resolve)));
      expect(isObservable(outcome)).toBe(true);
      const seen: unknown[] = [];
      let completed = false;
      outcome.subscribe({ next: (value) => seen.push(value), complete: () => (completed = true) });
      await Promise.resolve();
      expect(seen).toEqual([answer]);
      expect(completed).toBe(false);
      finish(true);
      await lastValueFrom(outcome.pipe(toArray()));
      expect(completed).toBe(true);
    });

    it('fails the handler (so the message is delivered again) when the work was not done', async () => {
      await expect(lastValueFrom(settle(Promise.resolve(false)))).rejects.toThrow(
        'a batch: not finished',
      );
    });
  });
});
