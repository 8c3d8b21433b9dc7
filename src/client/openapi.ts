import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

/** Where the UI is served; the document is at `${DOCS_PATH}-json`. */
export const DOCS_PATH = 'docs';

/** The component that describes the 405 of every path (see `answerMethodNotAllowed`). */
export const METHOD_NOT_ALLOWED = 'MethodNotAllowed';

/** The OpenAPI document of the client's HTTP API, read from the controllers' decorators. */
export function openApiDocument(app: INestApplication): OpenAPIObject {
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
  return {
    ...document,
    // No authentication, said explicitly rather than left unsaid.
    security: [],
    components: {
      ...document.components,
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
export function serveOpenApi(app: INestApplication, ui: boolean): void {
  SwaggerModule.setup(DOCS_PATH, app, () => openApiDocument(app), { raw: ['json'], ui });
}
