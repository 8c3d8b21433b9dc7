import { Observable, type OperatorFunction } from 'rxjs';
import { DUPLICATE, type ReorderBuffer } from './reorder-buffer.js';

export interface Sequenced<T> {
  readonly seq: number;
  readonly item: T;
}

/**
 * RxJS operator over a `ReorderBuffer`: takes items in any order, emits each contiguous run of
 * items as soon as it is complete (so the output, flattened, is in seq order with no gaps and no
 * duplicates), and completes once the last seq is out. The buffer is passed in so that its owner
 * can report what it waits for.
 */
export function releaseInOrder<T>(
  buffer: ReorderBuffer<T>,
  onDuplicate: (seq: number) => void = () => undefined,
): OperatorFunction<Sequenced<T>, T[]> {
  return (source) =>
    new Observable<T[]>((subscriber) => {
      if (buffer.done) {
        subscriber.complete();
        return undefined;
      }
      return source.subscribe({
        next: ({ seq, item }) => {
          const released = buffer.push(seq, item);
          if (released === DUPLICATE) {
            onDuplicate(seq);
            return;
          }
          if (released.length > 0) subscriber.next(released);
          if (buffer.done) subscriber.complete();
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}
