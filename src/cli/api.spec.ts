import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, PipelineApi } from './api.js';

/** What the app answers a start, in turn: a status and its Retry-After (if any). */
type Answer = readonly [status: number, retryAfter?: string];

describe(`${PipelineApi.name}.startWhenAdmitted`, () => {
  let server: Server;
  let answers: Answer[] = [];
  let asked = 0;
  let url = '';

  beforeAll(async () => {
    server = createServer((_request, response) => {
      asked++;
      const [status, retryAfter] = answers.shift() ?? [202];
      if (retryAfter !== undefined) response.setHeader('Retry-After', retryAfter);
      response.setHeader('content-type', 'application/json');
      response.statusCode = status;
      response.end(
        JSON.stringify(status === 202 ? { runId: 'r1' } : { statusCode: status, message: 'busy' }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const start = (given: Answer[], forMs = 60_000) => {
    answers = given;
    asked = 0;
    const waits: number[] = [];
    const told: number[] = [];
    const run = new PipelineApi(url).startWhenAdmitted(
      { connections: 1, values: 1, delay: 0 },
      {
        forMs,
        onWait: (seconds) => told.push(seconds),
        sleep: (ms) => {
          waits.push(ms);
          return Promise.resolve();
        },
      },
    );
    return { run, waits, told };
  };

  it('waits as long as each Retry-After says, then starts', async () => {
    const { run, waits, told } = start([
      [429, '5'],
      [503, '2'],
    ]);
    expect((await run).runId).toBe('r1');
    expect(waits).toEqual([5000, 2000]);
    expect(told).toEqual([5, 2]);
    expect(asked).toBe(3);
  });

  it('gives up, with the last refusal, once the next wait would end past its patience', async () => {
    const { run, waits } = start(
      [
        [429, '5'],
        [429, '5'],
        [429, '5'],
      ],
      9_000,
    );
    const error = await run.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toContain('429');
    expect(waits).toEqual([5000]);
  });

  it('does not ask again without a Retry-After, nor with no patience', async () => {
    const noHeader = start([[429]]);
    await expect(noHeader.run).rejects.toThrow('429');
    expect(noHeader.waits).toEqual([]);
    const none = start([[429, '1']], 0);
    await expect(none.run).rejects.toThrow('429');
    expect(asked).toBe(1);
  });
});
