import { Module, type DynamicModule } from '@nestjs/common';
import { globalValues } from '../global-values.js';
import type { Settings } from './settings.js';

/** Injection token of the validated `Settings`. */
export const SETTINGS = Symbol('SETTINGS');

/** Makes the process's validated settings injectable in every module of one application context. */
@Module({})
export class SettingsModule {
  static forRoot(settings: Settings): DynamicModule {
    return globalValues(SettingsModule, [[SETTINGS, settings]]);
  }
}
