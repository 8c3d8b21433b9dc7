import type { FastifyInstance } from 'fastify';

export interface ServedRoute {
  readonly method: string;
  /** As Fastify has it: `/runs/:runId`. */
  readonly url: string;
}

/**
 * The routes a Fastify instance serves, as its `onRoute` hook reports them (so what Nest, Swagger
 * and terminus registered, whoever did). Answers which methods a concrete path has, for the 405s.
 */
export class ServedRoutes {
  private readonly routes: { readonly route: ServedRoute; readonly matches: RegExp }[] = [];

  /** Starts listening to `instance`; call before the routes are registered (before `init`). */
  watch(instance: FastifyInstance): void {
    instance.addHook('onRoute', ({ method, url }) => {
      for (const one of Array.isArray(method) ? method : [method]) this.add(one, url);
    });
  }

  get all(): readonly ServedRoute[] {
    return this.routes.map(({ route }) => route);
  }

  /** Methods served on `path` (a request path without its query), sorted. */
  methodsOf(path: string): string[] {
    const methods = new Set(
      this.routes.filter(({ matches }) => matches.test(path)).map(({ route }) => route.method),
    );
    return [...methods].sort();
  }

  private add(method: string, url: string): void {
    this.routes.push({ route: { method, url }, matches: patternOf(url) });
  }
}

/** `/runs/:runId` → /^\/runs\/[^/]+$/ ; `*` matches the rest of the path. */
function patternOf(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) return '[^/]+';
      if (segment === '*') return '.*';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}/?$`);
}
