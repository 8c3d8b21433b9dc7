import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { Settings } from '../common/settings/settings.js';

/** Where the UI is served; the document is at `${DOCS_PATH}-json`. */
export const DOCS_PATH = 'docs';

/** The component that describes the 405 of every path (see `answerMethodNotAllowed`). */
export const METHOD_NOT_ALLOWED = 'MethodNotAllowed';

/** The security scheme of the routes that ask for a token. */
const BEARER = 'bearer';

/**
 * The OpenAPI document of the client's HTTP API, read from the controllers' decorators. With
 * `API_TOKEN` (`METRICS_TOKEN`) set, it declares the bearer scheme on the routes that ask for it.
 */
export function openApiDocument(
  app: INestApplication,
  access: Partial<Settings['access']> = {},
): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('ordered-pipeline')
    .setDescription(
      'Starts runs of tasks that go client → server → processor → saver and end in a file in send order; follows, lists and cancels them; health and metrics.\n\n' +
        `A method a path does not serve answers 405 with \`Allow\` (the response \`${METHOD_NOT_ALLOWED}\` in the components). ` +
        'Every error answer is JSON in one shape: `HttpErrorDto`.',
    )
    .setVersion('0.1.0')
    .setLicense('MIT', 'https://opensource.org/license/mit')
    .addServer('/', 'The app that serves this document.')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  const asksToken = (path: string): boolean =>
    path === '/metrics'
      ? access.metricsToken !== undefined
      : access.apiToken !== undefined && !/^\/(health|report-assets|docs)\b/.test(path);
  for (const [path, item] of Object.entries(document.paths))
    if (asksToken(path))
      for (const operation of Object.values(item) as { security?: unknown }[])
        if (typeof operation === 'object' && operation !== null && 'responses' in operation)
          operation.security = [{ [BEARER]: [] }];
  const tokens = access.apiToken !== undefined || access.metricsToken !== undefined;
  return {
    ...document,
    // Without tokens, no authentication, said explicitly rather than left unsaid.
    security: [],
    components: {
      ...document.components,
      ...(tokens
        ? {
            securitySchemes: {
              [BEARER]: {
                type: 'http',
                scheme: 'bearer',
                description:
                  '`API_TOKEN` (or `METRICS_TOKEN` for `/metrics`); a browser may give it as `?access_token=`. A missing or wrong token: 401 with `WWW-Authenticate`.',
              },
            },
          }
        : {}),
      headers: {
        ...document.components?.headers,
        Allow: {
          description: 'The methods the path serves, such as `GET, HEAD, POST`.',
          required: true,
          schema: { type: 'string' },
        },
      },
      responses: {
        ...document.components?.responses,
        // No operation refers to it: it answers the methods the document does not list.
        [METHOD_NOT_ALLOWED]: {
          description: 'The path is served, but not with this method; `Allow` lists its methods.',
          headers: { Allow: { $ref: '#/components/headers/Allow' } },
          content: {
            'application/json': { schema: { $ref: '#/components/schemas/HttpErrorDto' } },
          },
        },
      },
    },
  };
}

/** Serves the document at `/docs-json` (no YAML copy) and, with `ui`, Swagger UI at `/docs`. */
export function serveOpenApi(
  app: INestApplication,
  ui: boolean,
  access: Partial<Settings['access']> = {},
): void {
  SwaggerModule.setup(DOCS_PATH, app, () => openApiDocument(app, access), {
    raw: ['json'],
    ui,
  });
}
