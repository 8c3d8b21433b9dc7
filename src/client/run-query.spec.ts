import { describe, expect, it } from '@jest/globals';
import { BadRequestException, ValidationPipe } from '@nestjs/common';
import { loadSettings } from '../common/settings/environment.js';
import { RunLimitsPipe } from './run-limits.pipe.js';
import { RunQueryDto } from './run-query.dto.js';

/** The same pipes, in the same order, as `GET /`: the global ValidationPipe, then the limits. */
const validation = new ValidationPipe({
  transform: true,
  whitelist: true,
  forbidNonWhitelisted: true,
});
const limits = new RunLimitsPipe(
  loadSettings({ MAX_CONNECTIONS: '100', MAX_VALUES: '1000', MAX_TASKS: '5000', MAX_DELAY: '10' }),
);

async function parse(query: Record<string, unknown>): Promise<RunQueryDto> {
  const dto = (await validation.transform(query, {
    type: 'query',
    metatype: RunQueryDto,
  })) as RunQueryDto;
  return limits.transform(dto);
}

async function problems(query: Record<string, unknown>): Promise<string[]> {
  try {
    await parse(query);
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    const body = (error as BadRequestException).getResponse() as { message: string[] };
    return body.message;
  }
  throw new Error(`expected ${JSON.stringify(query)} to be rejected`);
}

describe(RunQueryDto.name, () => {
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
});
