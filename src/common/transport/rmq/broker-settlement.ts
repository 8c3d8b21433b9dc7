import { Inject, Injectable } from '@nestjs/common';
import { concat, from, ignoreElements, map, of, type Observable } from 'rxjs';
import type { Settings } from '../../settings/settings.js';
import { SETTINGS } from '../../settings/settings.module.js';
import { acknowledgesToBroker } from '../transport-options.js';

/**
 * When a message may leave the broker. A handler answers as soon as it can; where the broker
 * acknowledges a message when its handler completes (RabbitMQ, see `BrokerAckInterceptor`), the
 * handler completes only once the work the message stands for is done, so a consumer that dies
 * before leaves the whole message (every task of a batch) to another. Elsewhere the answer is all.
 */
@Injectable()
export class BrokerSettlement {
  private readonly holdsUntilDone: boolean;

  constructor(@Inject(SETTINGS) settings: Settings) {
    this.holdsUntilDone = acknowledgesToBroker(settings);
  }

  /**
   * `answer` at once; on RabbitMQ also keeps the handler open until `done()` is true (false, or a
   * rejection, fails the handler and the message is delivered again). `what` names it in that error.
   * `done` is called only there: elsewhere nothing waits on the work, so nothing is kept for it.
   */
  answerThenSettle<A>(answer: A, done: () => Promise<boolean>, what: string): A | Observable<A> {
    if (!this.holdsUntilDone) return answer;
    const settled = from(done()).pipe(
      map((ok) => {
        if (!ok) throw new Error(`${what}: not finished`);
      }),
      ignoreElements(),
    );
    return concat(of(answer), settled);
  }
}
