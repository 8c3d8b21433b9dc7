import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { ValidateBy } from 'class-validator';

export interface PlainDecimalOptions {
  /** Whole numbers only. */
  readonly integer: boolean;
  readonly min: number;
  readonly max?: number;
}

const DIGITS = /^[0-9]+$/;
const DIGITS_WITH_FRACTION = /^[0-9]+(\.[0-9]+)?$/;

/**
 * Why `value` is not a plain decimal number of this kind, or undefined if it is. A string must be
 * digits only (with a fraction where decimals are allowed): no sign, space, `0x`/`0o`/`0b` prefix,
 * exponent, or empty value, which `Number()` would all take. A JSON number is taken as it is.
 */
export function plainDecimalProblem(
  value: unknown,
  options: PlainDecimalOptions,
): string | undefined {
  const kind = options.integer
    ? 'a whole number in plain decimal digits, such as 10'
    : 'a number in plain decimal digits, such as 5 or 0.5';
  if (Array.isArray(value)) return `must be given once (got ${value.length} values)`;
  if (typeof value !== 'number' || !Number.isFinite(value))
    return `must be ${kind} (got ${JSON.stringify(value) ?? String(value)})`;
  if (options.integer && !Number.isInteger(value)) return `must be ${kind} (got ${value})`;
  if (value < options.min) return `must not be less than ${options.min} (got ${value})`;
  if (options.max !== undefined && value > options.max)
    return `must not be greater than ${options.max} (got ${value})`;
  return undefined;
}

/** A string of plain decimal digits as a number; anything else is left for the validator to name. */
function toNumberIfPlain(value: unknown, integer: boolean): unknown {
  if (typeof value !== 'string') return value;
  return (integer ? DIGITS : DIGITS_WITH_FRACTION).test(value) ? Number(value) : value;
}

/**
 * A numeric field read from a query string or a JSON body, strictly: one decorator, so each bad
 * value gets exactly one reason, which names the field and quotes what was given.
 */
export const PlainDecimal = (options: PlainDecimalOptions): PropertyDecorator =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) => toNumberIfPlain(value, options.integer)),
    ValidateBy({
      name: 'plainDecimal',
      constraints: [options],
      validator: {
        validate: (value: unknown) => plainDecimalProblem(value, options) === undefined,
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} ${plainDecimalProblem(args?.value, options) ?? ''}`,
      },
    }),
  );
