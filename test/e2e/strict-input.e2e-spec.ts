import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { send } from '../support/http.js';
import { startTestSystem, type TestSystem } from '../support/test-system.js';

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string[];
}

/** Every value the issue found accepted by coercion, and the field each must be refused for. */
const BAD_VALUES: [string, string][] = [
  ['connection_count', '0x10'],
  ['connection_count', '0b11'],
  ['connection_count', '0o7'],
  ['connection_count', '1e1'],
  ['connection_count', '+2'],
  ['connection_count', ' 2 '],
  ['connection_count', ''],
  ['connection_count', 'abc'],
  ['connection_value', '-0'],
  ['connection_value', '2.0'],
  ['delay_range', '0x1'],
  ['delay_range', ''],
  ['delay_range', '1e1'],
  ['delay_range', '+1'],
  ['delay_range', ' 1'],
];

const UNKNOWN_NAMES = ['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'colour'];

describe('strict input on GET / and POST /runs (monolith over TCP)', () => {
  let sut: TestSystem;

  beforeAll(async () => {
    sut = await startTestSystem();
  });

  afterAll(async () => {
    await sut?.close();
  });

  const runCount = async (): Promise<number> =>
    (await send<{ total: number }>('GET', `${sut.baseUrl}/runs`)).body.total;

  const expectOneReason = (body: ErrorBody, field: string, value: string) => {
    expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(body.message).toHaveLength(1);
    expect(body.message[0]).toMatch(new RegExp(`^${field} `));
    expect(body.message[0]).toContain(`(got ${JSON.stringify(value)})`);
  };

  it.each(BAD_VALUES)(
    'GET /?%s=%j is a 400 with one reason naming the field',
    async (field, value) => {
      const before = await runCount();
      const url = `${sut.baseUrl}/?${field}=${encodeURIComponent(value)}&wait=none`;
      const { status, body } = await send<ErrorBody>('GET', url);
      expect(status).toBe(400);
      expectOneReason(body, field, value);
      expect(await runCount()).toBe(before);
    },
  );

  it.each(BAD_VALUES)(
    'POST /runs {%s: %j} is a 400 with one reason naming the field',
    async (field, value) => {
      const { status, body } = await send<ErrorBody>('POST', `${sut.baseUrl}/runs`, {
        [field]: value,
        wait: 'none',
      });
      expect(status).toBe(400);
      expectOneReason(body, field, value);
    },
  );

  it.each(UNKNOWN_NAMES)('GET /?%s=1 is a 400: unknown, whatever its name', async (name) => {
    const { status, body } = await send<ErrorBody>('GET', `${sut.baseUrl}/?${name}=1&wait=none`);
    expect(status).toBe(400);
    expect(body.message).toEqual([`${name} is not a known parameter`]);
  });

  it.each(UNKNOWN_NAMES.filter((name) => name !== '__proto__'))(
    'POST /runs {%s: 1} is a 400: unknown, whatever its name',
    async (name) => {
      const { status, body } = await send<ErrorBody>('POST', `${sut.baseUrl}/runs`, {
        [name]: 1,
        wait: 'none',
      });
      expect(status).toBe(400);
      expect(body.message).toEqual([`${name} is not a known parameter`]);
    },
  );

  it('POST /runs with a __proto__ key is refused before it reaches the DTO', async () => {
    const response = await fetch(`${sut.baseUrl}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"__proto__": {"connection_count": 1}, "wait": "none"}',
    });
    expect(response.status).toBe(400);
  });

  it('a parameter given twice is a 400', async () => {
    const { status, body } = await send<ErrorBody>(
      'GET',
      `${sut.baseUrl}/?connection_count=1&connection_count=2`,
    );
    expect(status).toBe(400);
    expect(body.message).toEqual(['connection_count must be given once (got 2 values)']);
  });

  it('still takes plain digits, leading zeros and decimals of delay_range', async () => {
    const { status, body } = await send<{ connectionCount: number; delayRange: number }>(
      'GET',
      `${sut.baseUrl}/?connection_count=002&connection_value=1&delay_range=0.05&wait=saved`,
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ connectionCount: 2, delayRange: 0.05 });
  });
});
