import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { BearerToken } from '../common/http/bearer-token.js';
import type { Settings } from '../common/settings/settings.js';
import { SETTINGS } from '../common/settings/settings.module.js';

/** With `METRICS_TOKEN` set, `/metrics` answers 401 unless the request gives the token. */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly token?: BearerToken;

  constructor(@Inject(SETTINGS) settings: Settings) {
    const { metricsToken } = settings.access;
    if (metricsToken !== undefined) this.token = new BearerToken(metricsToken, 'METRICS_TOKEN');
  }

  canActivate(context: ExecutionContext): boolean {
    return this.token?.check(context) ?? true;
  }
}
