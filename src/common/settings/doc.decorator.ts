import 'reflect-metadata';

const DOC = Symbol('settings:doc');

/** What `@Doc` says of a setting, beside what its validators and its initial value say. */
export interface SettingDoc {
  /** One line: what the setting means (Markdown). */
  readonly text: string;
  /** The default as the table shows it, when it is derived rather than the property's initial value. */
  readonly default?: string;
}

/**
 * Documents one property of a settings class, as `@ApiProperty({ description })` documents a DTO's:
 * the settings table (`settings-table.ts`) prints it beside the default and the validators' bounds.
 */
export function Doc(text: string, options: { default?: string } = {}): PropertyDecorator {
  return (target, key) => Reflect.defineMetadata(DOC, { text, ...options }, target, key);
}

/** The `@Doc` of a property of `type`, if it has one. */
export function docOf(type: abstract new () => object, key: string): SettingDoc | undefined {
  return Reflect.getMetadata(DOC, type.prototype as object, key) as SettingDoc | undefined;
}
