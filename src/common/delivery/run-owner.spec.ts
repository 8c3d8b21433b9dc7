import { describe, expect, it } from '@jest/globals';
import { newRunId } from '../../client/run-id.js';
import { ownerOf } from './run-owner.js';

describe('ownerOf', () => {
  const ids = Array.from({ length: 3000 }, () => newRunId());

  it('gives every run to one saver, the same on every call', () => {
    for (const id of ids.slice(0, 100)) expect(ownerOf(id, 3)).toBe(ownerOf(id, 3));
    expect(ids.every((id) => ownerOf(id, 1) === 0)).toBe(true);
  });

  it('spreads runs started together evenly (each saver within 15 % of its share)', () => {
    const counts = [0, 0, 0];
    for (const id of ids) counts[ownerOf(id, 3)] += 1;
    for (const count of counts) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });

  it('moves only the runs of an added saver when the count grows', () => {
    const moved = ids.filter((id) => ownerOf(id, 3) !== ownerOf(id, 4));
    expect(moved.every((id) => ownerOf(id, 4) === 3)).toBe(true);
    expect(moved.length).toBeLessThan(ids.length / 3);
  });
});
