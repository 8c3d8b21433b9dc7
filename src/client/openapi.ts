import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

/** Where the UI is served; the document is at `${DOCS_PATH}-json`. */
export const DOCS_PATH = 'docs';

/** The OpenAPI document of the client's HTTP API, read from the controllers' decorators. */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('ordered-pipeline')
    .setDescription(
      'Starts runs of tasks that go client → server → processor → saver and end in a file in send order; follows, lists and cancels them; health and metrics.',
    )
    .setVersion('0.1.0')
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Serves the document at `/docs-json` (no YAML copy) and, with `ui`, Swagger UI at `/docs`. */
export function serveOpenApi(app: INestApplication, ui: boolean): void {
  SwaggerModule.setup(DOCS_PATH, app, () => openApiDocument(app), { raw: ['json'], ui });
}
