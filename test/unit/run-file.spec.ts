import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRunFile, MAX_VIOLATIONS, violationsOf } from '../../harness/run-file.js';

const RUN = { runId: 'r1', connectionCount: 2, connectionValue: 3, delayRange: 1 };

/** The exact file of RUN: connections take turns, so seq 1..6 is (1,1) (2,1) (1,2) (2,2) … */
const exactLines = (): Record<string, unknown>[] =>
  Array.from({ length: 6 }, (_, at) => ({
    runId: 'r1',
    seq: at + 1,
    total: 6,
    conn: (at % 2) + 1,
    idx: Math.floor(at / 2) + 1,
    delayRange: 1,
    delayMs: 500,
    sentAt: 1000,
    processedAt: 1500,
    processor: 'p',
  }));

describe('the run file checker', () => {
  let dir: string;
  let n = 0;
  const file = async (text: string): Promise<string> => {
    const path = join(dir, `${++n}.jsonl`);
    await writeFile(path, text);
    return path;
  };
  const jsonl = (lines: unknown[]): string => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';

  beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'run-file-'))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('finds nothing wrong in the exact file, and keeps its times when asked', async () => {
    const check = await checkRunFile(await file(jsonl(exactLines())), RUN, { keepTimes: true });
    expect(check.violations).toEqual([]);
    expect(Array.from(check.times!.processedAt)).toEqual([0, 1500, 1500, 1500, 1500, 1500, 1500]);
  });

  const swapped = exactLines();
  [swapped[0], swapped[2]] = [swapped[2], swapped[0]];
  const twice = exactLines();
  twice[2] = { ...twice[2], idx: 1 };
  it.each<[string, string, string]>([
    ['two lines swapped', jsonl(swapped), 'holds seq 3, not 1'],
    ['one (conn, idx) twice', jsonl(twice), 'idx 1 on conn 1 does not rise'],
    ['a line short', jsonl(exactLines().slice(0, 5)), 'ends after 5 of 6 lines'],
    ['a line more', jsonl([...exactLines(), exactLines()[5]]), "more lines than the run's 6"],
    ['no newline at the end', jsonl(exactLines()).slice(0, -1), 'the last line is not whole'],
    ['a torn line', jsonl(exactLines()).slice(0, -10) + '\n', 'not JSON'],
    ['another run', jsonl(exactLines().map((l) => ({ ...l, runId: 'r2' }))), 'holds run r2'],
    ['a delay out of range', jsonl([{ ...exactLines()[0], delayMs: 1001 }]), 'delayMs 1001'],
    ['no processor', jsonl([{ ...exactLines()[0], processor: undefined }]), 'no processor'],
  ])('names %s', async (_, text, violation) => {
    const violations = await violationsOf(await file(text), RUN);
    expect(violations.join('\n')).toContain(violation);
  });

  it('keeps a few violations and counts the rest', async () => {
    const wrong = Array.from({ length: 1000 }, () => 'x').join('\n') + '\n';
    const violations = await violationsOf(await file(wrong), RUN);
    expect(violations).toHaveLength(MAX_VIOLATIONS + 1);
    expect(violations[MAX_VIOLATIONS]).toMatch(/^… and \d+ more$/);
  });

  it('names a file that is not there', async () => {
    expect((await violationsOf(join(dir, 'none.jsonl'), RUN)).join()).toContain('ENOENT');
  });
});
