import {
  BadRequestException,
  ValidationPipe,
  type ArgumentMetadata,
  type Type,
} from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import { TOKEN_QUERY } from './bearer-token.js';

/**
 * Nest's `ValidationPipe`, plus a check of every key that came in against the DTO's fields.
 * `forbidNonWhitelisted` alone misses keys that class-transformer skips (`__proto__`,
 * `constructor`, `hasOwnProperty`, `toString`, …): they never reach the instance it checks, so
 * they passed where `colour` was refused. Each bad field gets one reason (`stopAtFirstError`).
 */
export class StrictValidationPipe extends ValidationPipe {
  constructor() {
    super({ transform: true, whitelist: true, stopAtFirstError: true });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const fields = dtoFields(metadata.metatype);
    if (fields === undefined || typeof value !== 'object' || value === null)
      return super.transform(value, metadata);
    const unknown = Reflect.ownKeys(value)
      .map(String)
      // A browser's bearer token (`?access_token=`) is the guard's, not the DTO's.
      .filter((key) => !fields.has(key) && !(metadata.type === 'query' && key === TOKEN_QUERY));
    // Only the DTO's own fields go on: a key such as `constructor` breaks class-transformer.
    const known = Object.fromEntries(
      Object.entries(value).filter(([key]) => fields.has(key)),
    ) as Record<string, unknown>;
    let problems = unknown.map((key) => `${key} is not a known parameter`);
    let result: unknown;
    try {
      result = await super.transform(known, metadata);
    } catch (error) {
      if (!(error instanceof BadRequestException)) throw error;
      problems = [...problems, ...messagesOf(error)];
    }
    if (problems.length > 0) throw new BadRequestException(problems);
    return result;
  }
}

/** The fields of a DTO class (those with a validation decorator); undefined for anything else. */
function dtoFields(metatype: Type | undefined): ReadonlySet<string> | undefined {
  if (metatype === undefined) return undefined;
  const fields = getMetadataStorage()
    .getTargetValidationMetadatas(metatype, '', true, false)
    .map((field) => field.propertyName);
  return fields.length === 0 ? undefined : new Set(fields);
}

function messagesOf(error: BadRequestException): string[] {
  const body = error.getResponse();
  const message = typeof body === 'object' && 'message' in body ? body.message : body;
  return Array.isArray(message) ? message.map(String) : [String(message)];
}
