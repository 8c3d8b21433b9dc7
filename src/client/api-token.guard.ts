import { bearerTokenGuard } from '../common/http/bearer-token.js';

/** With `API_TOKEN` set, a run route answers 401 unless the request gives the token. */
export const ApiTokenGuard = bearerTokenGuard('apiToken', 'API_TOKEN');
