import { applyDecorators, type HttpStatus } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { HttpErrorDto } from './http-error.dto.js';

/** Documents the error answers of a route, each in Nest's error shape, with why it comes. */
export const ApiErrors = (errors: Partial<Record<HttpStatus, string>>): MethodDecorator =>
  applyDecorators(
    ...Object.entries(errors).map(([status, description]) =>
      ApiResponse({ status: Number(status), description, type: HttpErrorDto }),
    ),
  );
