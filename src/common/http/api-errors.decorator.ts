import { applyDecorators, type HttpStatus } from '@nestjs/common';
import { ApiResponse, type HeadersObject } from '@nestjs/swagger';
import { HttpErrorDto } from './http-error.dto.js';

/** An error answer: why it comes, and the headers it carries beside the body. */
export interface ApiErrorAnswer {
  readonly description: string;
  readonly headers?: HeadersObject;
}

/**
 * Documents the error answers of a route, each in Nest's error shape, with why it comes. They are
 * JSON whatever the route answers when it succeeds: a route that answers something else declares
 * that answer's `content` itself rather than with `@ApiProduces`, which would apply to these too.
 */
export const ApiErrors = (
  errors: Partial<Record<HttpStatus, string | ApiErrorAnswer>>,
): MethodDecorator =>
  applyDecorators(
    ...Object.entries(errors).map(([status, answer]) =>
      ApiResponse({
        status: Number(status),
        type: HttpErrorDto,
        ...(typeof answer === 'string' ? { description: answer } : answer),
      }),
    ),
  );
