import { describe, expect, it } from '@jest/globals';
import { MAX_BATCH_ITEMS } from './bounds.js';
import {
  batchOf,
  RESULT,
  SAVER_REPORT_QUERY,
  SAVER_STATUS_QUERY,
  TASK,
  type Result,
  type SaverStatusQuery,
  type Task,
} from './messages.js';

const taskProblem = (value: unknown) => TASK.problem(value);
const resultProblem = (value: unknown) => RESULT.problem(value);
const statusQueryProblem = (value: unknown) => SAVER_STATUS_QUERY.problem(value);
const reportQueryProblem = (value: unknown) => SAVER_REPORT_QUERY.problem(value);

const task: Task = {
  runId: 'r-1',
  seq: 3,
  total: 10,
  conn: 2,
  idx: 5,
  value: 2 ** 31 - 1,
  sentAt: 1_700_000_000_000,
  delayRange: 1.5,
};
const result: Result = { ...task, processedAt: 1_700_000_000_500, delayMs: 1500, processor: 'h:1' };
const query: SaverStatusQuery = { runId: 'r-1', total: 10, missingLimit: 100_000 };
const MB10 = 'x'.repeat(10 * 1024 * 1024);

describe('message contracts: guards', () => {
  it('accept what the client, processor and run monitor make', () => {
    expect(taskProblem(task)).toBeUndefined();
    expect(taskProblem({ ...task, value: 0, delayRange: 0 })).toBeUndefined();
    expect(resultProblem(result)).toBeUndefined();
    // randomInt(0, round(delayRange × 1000) + 1) may round up by under a millisecond.
    expect(resultProblem({ ...result, delayRange: 0.0015, delayMs: 2 })).toBeUndefined();
    expect(statusQueryProblem(query)).toBeUndefined();
    expect(statusQueryProblem({ runId: 'r-1', total: 10, missingLimit: 0 })).toBeUndefined();
    expect(statusQueryProblem({ runId: 'r-1', total: 10 })).toBeUndefined();
  });

  it.each<[string, Partial<Task>]>([
    ['runId', { runId: MB10 }],
    ['total', { total: 10_000_001, seq: 1 }],
    ['total', { total: 1.5 }],
    ['seq', { seq: 11 }],
    ['conn', { conn: 11 }],
    ['conn', { total: 20_000, seq: 1, conn: 10_001 }],
    ['idx', { idx: 11 }],
    ['idx', { idx: 0 }],
    ['value', { value: 2 ** 31 }],
    ['value', { value: -1 }],
    ['value', { value: 1.5 }],
    ['sentAt', { sentAt: Number.POSITIVE_INFINITY }],
    ['sentAt', { sentAt: -1 }],
    ['delayRange', { delayRange: 3601 }],
  ])('refuse a task whose %s is out of bounds (%j)', (field, change) => {
    expect(taskProblem({ ...task, ...change })).toContain(field);
    expect(resultProblem({ ...result, ...change })).toContain(field);
  });

  it.each<[string, Partial<Result>]>([
    ['processedAt', { processedAt: Number.NaN }],
    ['delayMs', { delayMs: 1502 }],
    ['delayMs', { delayMs: -1 }],
    ['delayMs', { delayMs: 0.5 }],
    ['processor', { processor: 'p'.repeat(257) }],
    ['processor', { processor: MB10 }],
    ['processor', { processor: '' }],
  ])('refuse a result whose %s is out of bounds', (field, change) => {
    expect(resultProblem({ ...result, ...change })).toContain(field);
  });

  it.each<[string, Partial<SaverStatusQuery>]>([
    ['runId', { runId: MB10 }],
    ['total', { total: 10_000_001 }],
    ['missingLimit', { missingLimit: -1 }],
    ['missingLimit', { missingLimit: 1_000_001 }],
  ])('refuse a status query whose %s is out of bounds', (field, change) => {
    expect(statusQueryProblem({ ...query, ...change })).toContain(field);
  });

  it('accept a report query with a valid runId only', () => {
    expect(reportQueryProblem({ runId: 'r-1' })).toBeUndefined();
    expect(reportQueryProblem({ runId: MB10 })).toContain('runId');
    expect(reportQueryProblem({ runId: '../etc' })).toContain('runId');
    expect(reportQueryProblem('r-1')).toContain('object');
  });

  describe('batches', () => {
    const tasks = (value: unknown) => batchOf(TASK).problem(value);

    it('accepts 1..MAX_BATCH_ITEMS valid items', () => {
      expect(tasks({ items: [task] })).toBeUndefined();
      expect(tasks({ items: Array.from({ length: MAX_BATCH_ITEMS }, () => task) })).toBeUndefined();
    });

    it('refuses a batch that is no array of items, empty or too long', () => {
      for (const bad of [null, [], {}, { items: task }, { items: [] }]) {
        expect(tasks(bad)).toMatch(/batch must be an object|items must be an array/);
      }
      expect(tasks({ items: Array.from({ length: MAX_BATCH_ITEMS + 1 }, () => task) })).toBe(
        `items must be an array of 1..${MAX_BATCH_ITEMS} items`,
      );
    });

    it('refuses the whole batch for one bad item, naming it', () => {
      expect(tasks({ items: [task, { ...task, seq: 0 }] })).toBe(
        'items[1]: seq must be an integer in 1..total',
      );
    });
  });
});

describe('message contracts: types and copies from one declaration', () => {
  it('copy the contract fields only, in the contract order, leaving out an absent optional one', () => {
    const extra = { ...result, colour: 'red', seq: 3 } as unknown as Result;
    expect(Object.keys(RESULT.fields(extra))).toEqual([
      'runId',
      'seq',
      'total',
      'conn',
      'idx',
      'value',
      'sentAt',
      'delayRange',
      'processedAt',
      'delayMs',
      'processor',
    ]);
    expect(TASK.fields(result)).toEqual(task);
    expect(SAVER_STATUS_QUERY.fields({ runId: 'r', total: 1 })).toEqual({ runId: 'r', total: 1 });
    expect(SAVER_STATUS_QUERY.fields(query)).toEqual(query);
    expect(batchOf(TASK).fields({ items: [extra] })).toEqual({ items: [task] });
  });

  it('check a field after the fields its bound reads, whatever their order', () => {
    // `seq` comes before `total` in a task, but is checked after it: the broken field is named.
    expect(taskProblem({ ...task, total: 'many', seq: 3 })).toBe(
      'total must be an integer in 1..10000000',
    );
  });

  it('say what is not an object, with its article', () => {
    expect(taskProblem(7)).toBe('a task must be an object');
    expect(resultProblem(null)).toBe('a result must be an object');
    expect(reportQueryProblem('r-1')).toBe('a report query must be an object');
  });
});
