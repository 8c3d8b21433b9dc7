import {
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
  type Type,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Settings } from '../settings/settings.js';
import { SETTINGS } from '../settings/settings.module.js';

/** The query parameter a browser may give the token in (RFC 6750 §2.3): `EventSource` and a page cannot set headers. */
export const TOKEN_QUERY = 'access_token';

const REALM = 'Bearer realm="ordered-pipeline"';

/** The token a request gives: `Authorization: Bearer …`, else `?access_token=…`. */
export function givenToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer +(\S+)\s*$/i.exec(header);
    return match ? match[1] : undefined;
  }
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = query?.[TOKEN_QUERY];
  return typeof fromQuery === 'string' ? fromQuery : undefined;
}

/**
 * A secret a request must give (`API_TOKEN`, `METRICS_TOKEN`). Compared in constant time, whatever
 * the lengths: both sides are hashed first, so neither the token nor its length leaks by timing.
 */
export class BearerToken {
  private readonly digest: Buffer;

  constructor(
    token: string,
    /** The setting it comes from, as a refusal names it. */
    private readonly setting: string,
  ) {
    this.digest = sha256(token);
  }

  /** The token of a setting, or undefined when it is unset (then nothing is asked for). */
  static of(token: string | undefined, setting: string): BearerToken | undefined {
    return token === undefined ? undefined : new BearerToken(token, setting);
  }

  accepts(given: string | undefined): boolean {
    return given !== undefined && timingSafeEqual(sha256(given), this.digest);
  }

  /** Lets the request through, or answers 401 with `WWW-Authenticate` naming what is wrong. */
  check(context: ExecutionContext): true {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const given = givenToken(request);
    if (this.accepts(given)) return true;
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    void reply.header(
      'WWW-Authenticate',
      given === undefined ? REALM : `${REALM}, error="invalid_token"`,
    );
    throw new UnauthorizedException(
      given === undefined
        ? `this route needs Authorization: Bearer <${this.setting}>`
        : `the bearer token given is not ${this.setting}`,
    );
  }
}

/**
 * A guard that asks for the token `settings.access[which]` (the setting `setting`) when it is set,
 * and lets everything through when it is not.
 */
export function bearerTokenGuard(
  which: keyof Settings['access'],
  setting: string,
): Type<CanActivate> {
  @Injectable()
  class BearerTokenGuard implements CanActivate {
    private readonly token?: BearerToken;

    constructor(@Inject(SETTINGS) settings: Settings) {
      this.token = BearerToken.of(settings.access[which], setting);
    }

    canActivate(context: ExecutionContext): boolean {
      return this.token?.check(context) ?? true;
    }
  }
  return BearerTokenGuard;
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();
