import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { from, lastValueFrom, mergeAll, toArray } from 'rxjs';
import { releaseInOrder } from './release-in-order.operator.js';
import { ReorderBuffer } from './reorder-buffer.js';

/** Runs `seqs` through the operator and answers what came out (flattened) and the duplicates seen. */
async function reorder(total: number, seqs: number[], first = 1) {
  const duplicates: number[] = [];
  const buffer = new ReorderBuffer<number>(total, first);
  const out = await lastValueFrom(
    from(seqs.map((seq) => ({ seq, item: seq }))).pipe(
      releaseInOrder(buffer, (seq) => duplicates.push(seq)),
      mergeAll(),
      toArray(),
    ),
  );
  return { out, duplicates, buffer };
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, at) => from + at);

/** A permutation of 1..n with some seqs repeated at random places. */
const shuffledWithDuplicates = fc
  .integer({ min: 1, max: 400 })
  .chain((n) =>
    fc.tuple(
      fc.constant(n),
      fc.shuffledSubarray(range(1, n), { minLength: n, maxLength: n }),
      fc.array(fc.integer({ min: 1, max: n }), { maxLength: n }),
      fc.array(fc.nat(), { maxLength: n }),
    ),
  )
  .map(([n, permutation, repeats, places]) => {
    const seqs = [...permutation];
    repeats.forEach((seq, at) => seqs.splice((places[at] ?? 0) % (seqs.length + 1), 0, seq));
    return { n, seqs, repeats: repeats.length };
  });

describe(releaseInOrder.name, () => {
  it('emits exactly 1..n in order for any arrival order with duplicates mixed in', async () => {
    await fc.assert(
      fc.asyncProperty(shuffledWithDuplicates, async ({ n, seqs, repeats }) => {
        const { out, duplicates } = await reorder(n, seqs);
        expect(out).toEqual(range(1, n));
        expect(duplicates).toHaveLength(repeats);
      }),
      { numRuns: 300 },
    );
  });

  it('releases each item as soon as the prefix before it is complete', () => {
    const buffer = new ReorderBuffer<number>(5);
    const emissions: number[][] = [];
    from([3, 2, 5, 1, 4].map((seq) => ({ seq, item: seq })))
      .pipe(releaseInOrder(buffer))
      .subscribe((released) => emissions.push(released));
    expect(emissions).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(buffer.done).toBe(true);
  });

  it('holds back everything after a gap and reports the gap as missing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 2, max: 200 })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              fc.integer({ min: 1, max: n }),
              fc.shuffledSubarray(range(1, n), { minLength: n, maxLength: n }),
            ),
          ),
        async ([n, gap, order]) => {
          const { out, buffer } = await reorder(
            n,
            order.filter((seq) => seq !== gap),
          );
          expect(out).toEqual(range(1, gap - 1));
          expect(buffer.next).toBe(gap);
          expect(buffer.size).toBe(n - gap);
          expect(buffer.missing(10)).toEqual([gap]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('starts after a prefix already written and drops seqs of that prefix', async () => {
    const { out, duplicates } = await reorder(6, [6, 2, 4, 3, 5, 1], 4);
    expect(out).toEqual([4, 5, 6]);
    expect(duplicates).toEqual([2, 3, 1]);
  });

  it('completes at the last seq even though its source stays open', () => {
    const buffer = new ReorderBuffer<number>(2);
    let completed = false;
    const source = from([
      { seq: 2, item: 2 },
      { seq: 1, item: 1 },
    ]);
    source.pipe(releaseInOrder(buffer)).subscribe({ complete: () => (completed = true) });
    expect(completed).toBe(true);
  });
});

describe(ReorderBuffer.name, () => {
  it('rejects a seq outside 1..total', () => {
    const sut = new ReorderBuffer<number>(3);
    expect(() => sut.push(0, 0)).toThrow(RangeError);
    expect(() => sut.push(4, 4)).toThrow(RangeError);
    expect(() => sut.push(1.5, 1)).toThrow(RangeError);
  });

  it('lists missing seqs lowest first, up to the limit', () => {
    const sut = new ReorderBuffer<number>(10);
    for (const seq of [2, 5, 6, 9]) sut.push(seq, seq);
    expect(sut.missing(100)).toEqual([1, 3, 4, 7, 8, 10]);
    expect(sut.missing(2)).toEqual([1, 3]);
  });
});
