import { ApiProperty } from '@nestjs/swagger';

/**
 * Documents a field that holds a whole number (OpenAPI `integer`, where a TypeScript `number`
 * alone would say `number`), with what it counts when the name does not say it all.
 */
export const ApiInteger = (description?: string): PropertyDecorator =>
  ApiProperty(description === undefined ? { type: 'integer' } : { type: 'integer', description });
