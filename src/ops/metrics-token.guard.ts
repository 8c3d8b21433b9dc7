import { bearerTokenGuard } from '../common/http/bearer-token.js';

/** With `METRICS_TOKEN` set, `/metrics` answers 401 unless the request gives the token. */
export const MetricsTokenGuard = bearerTokenGuard('metricsToken', 'METRICS_TOKEN');
