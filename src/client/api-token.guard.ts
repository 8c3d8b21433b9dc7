import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { BearerToken } from '../common/http/bearer-token.js';
import type { Settings } from '../common/settings/settings.js';
import { SETTINGS } from '../common/settings/settings.module.js';

/** With `API_TOKEN` set, a run route answers 401 unless the request gives the token. */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  private readonly token?: BearerToken;

  constructor(@Inject(SETTINGS) settings: Settings) {
    const { apiToken } = settings.access;
    if (apiToken !== undefined) this.token = new BearerToken(apiToken, 'API_TOKEN');
  }

  canActivate(context: ExecutionContext): boolean {
    return this.token?.check(context) ?? true;
  }
}
