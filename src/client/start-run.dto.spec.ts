import { describe, expect, it } from '@jest/globals';
import { BadRequestException } from '@nestjs/common';
import { StrictValidationPipe } from '../common/http/strict-validation.pipe.js';
import { loadSettings } from '../common/settings/environment.js';
import { RunLimitsPipe } from './run-limits.pipe.js';
import { StartRunDto } from './start-run.dto.js';

/** The same pipes, in the same order, as `GET /` and `POST /runs`: the global pipe, then the limits. */
const validation = new StrictValidationPipe();
const limits = new RunLimitsPipe(
  loadSettings({ MAX_CONNECTIONS: '100', MAX_VALUES: '1000', MAX_TASKS: '5000', MAX_DELAY: '10' }),
);

async function parse(query: object): Promise<StartRunDto> {
  const dto = (await validation.transform(query, {
    type: 'query',
    metatype: StartRunDto,
  })) as StartRunDto;
  return limits.transform(dto);
}

async function problems(query: object): Promise<string[]> {
  try {
    await parse(query);
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    const body = (error as BadRequestException).getResponse() as { message: string[] };
    return body.message;
  }
  throw new Error(`expected ${JSON.stringify(query)} to be rejected`);
}

describe(StartRunDto.name, () => {
  it('defaults to 10 connections of 10 tasks, delay_range 5, wait acked', async () => {
    expect(await parse({})).toEqual({
      connection_count: 10,
      connection_value: 10,
      delay_range: 5,
      wait: 'acked',
    });
  });

  it.each([
    [
      { connection_count: '1', connection_value: '1', delay_range: '0' },
      { connection_count: 1, connection_value: 1, delay_range: 0 },
    ],
    [
      { connection_count: '100', connection_value: '50', delay_range: '10' },
      { connection_count: 100, connection_value: 50, delay_range: 10 },
    ],
    [{ delay_range: '0.25' }, { delay_range: 0.25 }],
    [{ wait: 'saved' }, { wait: 'saved' }],
    [{ wait: 'none' }, { wait: 'none' }],
  ])('accepts %j', async (query, expected) => {
    expect(await parse(query)).toMatchObject(expected);
  });

  it.each([
    [{ connection_count: '0' }, 'connection_count'],
    [{ connection_count: '-3' }, 'connection_count'],
    [{ connection_count: 'ten' }, 'connection_count'],
    [{ connection_count: '2.5' }, 'connection_count'],
    [{ connection_count: '' }, 'connection_count'],
    [{ connection_value: '0' }, 'connection_value'],
    [{ connection_value: '1.5' }, 'connection_value'],
    [{ connection_value: 'abc' }, 'connection_value'],
    [{ delay_range: '-1' }, 'delay_range'],
    [{ delay_range: 'soon' }, 'delay_range'],
    [{ delay_range: 'Infinity' }, 'delay_range'],
    [{ delay_range: '1e9' }, 'delay_range'],
    [{ connection_count: '101' }, 'connection_count must not be greater than 100'],
    [{ connection_value: '1001' }, 'connection_value must not be greater than 1000'],
    [{ delay_range: '10.5' }, 'delay_range must not be greater than 10'],
    [{ connection_count: '100', connection_value: '51' }, 'MAX_TASKS'],
    [{ wait: 'forever' }, 'wait'],
    [{ colour: 'blue' }, 'colour'],
  ])('rejects %j naming %s', async (query, named) => {
    expect((await problems(query)).join('; ')).toContain(named);
  });

  it('names every bad field of one query', async () => {
    const messages = await problems({
      connection_count: '0',
      connection_value: 'x',
      delay_range: '-2',
    });
    for (const field of ['connection_count', 'connection_value', 'delay_range']) {
      expect(messages.some((message) => message.startsWith(field))).toBe(true);
    }
  });

  it.each([
    ['connection_count', '0x10'],
    ['connection_count', '0b11'],
    ['connection_count', '0o7'],
    ['connection_count', '1e1'],
    ['connection_count', '+2'],
    ['connection_count', ' 2 '],
    ['connection_count', ''],
    ['connection_value', '10.0'],
    ['connection_value', '-0'],
    ['delay_range', '0x1'],
    ['delay_range', ''],
    ['delay_range', '.5'],
    ['delay_range', '5.'],
    ['delay_range', '1e1'],
    ['delay_range', ' 1'],
    ['delay_range', 'NaN'],
  ])(
    'refuses %s=%j with one reason that names the field and quotes the value',
    async (field, value) => {
      const messages = await problems({ [field]: value });
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatch(new RegExp(`^${field} must be .*plain decimal digits`));
      expect(messages[0]).toContain(`(got ${JSON.stringify(value)})`);
    },
  );

  it('reports one clear reason for a word where a number belongs', async () => {
    expect(await problems({ connection_count: 'abc' })).toEqual([
      'connection_count must be a whole number in plain decimal digits, such as 10 (got "abc")',
    ]);
  });

  it('refuses a parameter given twice', async () => {
    expect(await problems({ connection_count: ['1', '2'] })).toEqual([
      'connection_count must be given once (got 2 values)',
    ]);
  });

  it.each(['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf', 'colour'])(
    'refuses the unknown parameter %s, whatever its name',
    async (name) => {
      // Built the way Fastify's query parser builds it: the key is an own property.
      const query: Record<string, unknown> = {};
      Object.defineProperty(query, name, { value: '1', enumerable: true });
      expect(await problems(query)).toEqual([`${name} is not a known parameter`]);
    },
  );

  it('takes the JSON numbers of a body as they are', async () => {
    expect(
      await parse({ connection_count: 3, connection_value: 4, delay_range: 0.5, wait: 'none' }),
    ).toEqual({ connection_count: 3, connection_value: 4, delay_range: 0.5, wait: 'none' });
  });

  it.each([
    [{ connection_count: 1.5 }, 'connection_count must be a whole number'],
    [{ connection_count: true }, 'connection_count must be a whole number'],
    [{ connection_count: null }, 'connection_count must be a whole number'],
    [{ delay_range: -0.5 }, 'delay_range must not be less than 0'],
    [{ wait: 7 }, 'wait must be one of acked, saved, none (got 7)'],
  ])('refuses the JSON body %j', async (body, reason) => {
    const messages = await problems(body);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(reason);
  });
});
