import type { DynamicModule, InjectionToken, Type } from '@nestjs/common';

/**
 * The dynamic module of `module` that provides each value under its token, global: injectable in
 * every module of one application context.
 */
export function globalValues(
  module: Type,
  values: readonly (readonly [InjectionToken, unknown])[],
): DynamicModule {
  return {
    module,
    global: true,
    providers: values.map(([provide, useValue]) => ({ provide, useValue })),
    exports: values.map(([token]) => token),
  };
}
