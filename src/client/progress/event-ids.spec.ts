import { describe, expect, it } from '@jest/globals';
import { END_EVENT_ID, firstEventNumber, hasReceivedEnd } from './event-ids.js';

describe('event ids of a run’s progress stream', () => {
  it('numbers a first connection from 1', () => {
    expect(firstEventNumber(undefined)).toBe(1);
  });

  it('goes on after the number a reconnecting client received last', () => {
    expect(firstEventNumber('41')).toBe(42);
  });

  it('starts again at 1 after an id it did not give (a number past its range included)', () => {
    for (const id of ['', 'abc', '-3', '1e3', ' 7', END_EVENT_ID, '9'.repeat(16), String(2 ** 48)])
      expect({ id, first: firstEventNumber(id) }).toEqual({ id, first: 1 });
  });

  it('knows the end was received from its id only', () => {
    expect(hasReceivedEnd(END_EVENT_ID)).toBe(true);
    for (const id of [undefined, '', '12', 'END']) expect(hasReceivedEnd(id)).toBe(false);
  });
});
