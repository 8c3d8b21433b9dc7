import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunView } from '../../src/client/run.js';
import { send } from '../support/http.js';
import { startTestSystem, type TestSystem } from '../support/test-system.js';

interface Operation {
  parameters?: { name: string; in: string }[];
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties: Record<string, unknown> }> };
};

/** `/runs/{runId}` → `/runs/:runId`, as Fastify names it. */
const fastifyPath = (path: string): string => path.replace(/\{([^}]+)\}/g, ':$1');

describe('OpenAPI document at /docs-json', () => {
  let sut: TestSystem;
  let document: Document;

  beforeAll(async () => {
    sut = await startTestSystem();
    document = (await send<Document>('GET', `${sut.baseUrl}/docs-json`)).body;
  });

  afterAll(async () => {
    await sut?.close();
  });

  it('is a valid OpenAPI document', async () => {
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
  });

  it('lists exactly the routes the app serves (HEAD routes Fastify adds and the document itself aside)', () => {
    const documented = Object.entries(document.paths)
      .flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${fastifyPath(path)}`),
      )
      .sort();
    const served = sut.system.routes.all
      .filter(({ url }) => !url.startsWith('/docs'))
      // Fastify answers HEAD on every GET route by itself; only an explicit one is documented.
      .filter(({ method, url }) => method !== 'HEAD' || url === '/')
      .map(({ method, url }) => `${method} ${url}`)
      .sort();
    expect(documented).toEqual([...new Set(served)]);
    expect(served).toEqual(
      expect.arrayContaining([
        'POST /runs',
        'GET /runs',
        'DELETE /runs/:runId',
        'GET /health/ready',
      ]),
    );
  });

  it('documents every answer with a schema, errors included', () => {
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (method === 'head') continue;
        for (const [status, answer] of Object.entries(operation.responses)) {
          const schema = answer.content && Object.values(answer.content)[0]?.schema;
          expect({ route: `${method} ${path} ${status}`, schema }).toEqual({
            route: `${method} ${path} ${status}`,
            schema: expect.anything(),
          });
        }
      }
    }
    const start = document.paths['/runs'].post;
    expect(Object.keys(start.responses).sort()).toEqual(['201', '202', '400', '429', '503']);
    expect(start.requestBody).toBeDefined();
    const legacy = document.paths['/'].get;
    expect(legacy.parameters?.map((parameter) => parameter.name).sort()).toEqual([
      'connection_count',
      'connection_value',
      'delay_range',
      'wait',
    ]);
  });

  it('describes a run with exactly the fields a run view has', async () => {
    const { body } = await send<RunView>('POST', `${sut.baseUrl}/runs`, {
      connection_count: 1,
      connection_value: 1,
      delay_range: 0,
      wait: 'saved',
    });
    const optional = ['error', 'lastError'];
    expect(Object.keys(document.components.schemas.RunViewDto.properties).sort()).toEqual(
      [...new Set([...Object.keys(body), ...optional])].sort(),
    );
  });
});
