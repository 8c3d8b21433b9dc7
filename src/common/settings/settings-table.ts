import { getMetadataStorage, type MetadataStorage } from 'class-validator';
import { docOf } from './doc.decorator.js';

/** The markers around the generated table in docs/SETTINGS.md. */
export const TABLE_START = '<!-- settings:start (npm run docs:settings writes this table) -->';
export const TABLE_END = '<!-- settings:end -->';

type SettingsClass = new () => object;
/** One validator of one property, as class-validator keeps it (its type is not exported by name). */
type ValidationMetadata = ReturnType<MetadataStorage['getTargetValidationMetadatas']>[number];

/**
 * The Markdown table of every property of `type`, in declaration order: its name, its default (the
 * initial value, or the `@Doc` default when derived), what it accepts (read back from its
 * class-validator decorators, as class-validator-jsonschema does) and its `@Doc` line. Columns are
 * padded as Prettier pads them, so the file stays as Prettier leaves it.
 */
export function settingsTable(type: SettingsClass): string {
  const defaults = new type() as Record<string, unknown>;
  const rules = getMetadataStorage().getTargetValidationMetadatas(type, '', true, false);
  const rows = Object.keys(defaults).map((name) => {
    const doc = docOf(type, name);
    if (doc === undefined) throw new Error(`${type.name}.${name} has no @Doc`);
    const own = new Map(
      rules.filter((rule) => rule.propertyName === name).map((rule) => [ruleName(rule), rule]),
    );
    const value = doc.default ?? shown(defaults[name]);
    return [`\`${name}\``, `\`${value}\``, accepted(name, own), doc.text].map(cell);
  });
  return markdownTable(['variable', 'default', 'accepts', 'meaning'], rows);
}

/** `markdown` with the text between the table markers replaced by `table`. */
export function withTable(markdown: string, table: string): string {
  const start = markdown.indexOf(TABLE_START);
  const end = markdown.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`no ${TABLE_START} … ${TABLE_END} in the file`);
  return `${markdown.slice(0, start + TABLE_START.length)}\n\n${table}\n\n${markdown.slice(end)}`;
}

const ruleName = (rule: ValidationMetadata): string => rule.name ?? rule.type;

/** The validators `accepted` has words for. */
const WORDED = new Set([
  'isIn',
  'arrayNotEmpty',
  'isUrl',
  'matches',
  'isInt',
  'min',
  'max',
  'isString',
  'isNotEmpty',
  'isOptional',
  'minLength',
  'arrayMaxSize',
]);

/** What a variable's validators let through, in words; a validator without words here throws. */
function accepted(name: string, rules: ReadonlyMap<string, ValidationMetadata>): string {
  const unknown = [...rules.keys()].filter((rule) => !WORDED.has(rule));
  if (unknown.length > 0) throw new Error(`${name}: no words for @${unknown.join(', @')}`);
  const arg = (rule: string): unknown => rules.get(rule)?.constraints[0];
  const list = (values: unknown): string =>
    (values as unknown[]).map((value) => `\`${String(value)}\``).join(', ');
  const isIn = rules.get('isIn');
  if (isIn !== undefined) return `${isIn.each ? 'a comma list of' : 'one of'} ${list(arg('isIn'))}`;
  if (rules.has('isUrl')) {
    const { protocols } = arg('isUrl') as { protocols: string[] };
    return `a URL: ${list(protocols.map((protocol) => `${protocol}:`))}`;
  }
  const matches = rules.get('matches');
  if (matches?.each)
    return `a comma list of up to ${String(arg('arrayMaxSize'))} matching \`${(arg('matches') as RegExp).source}\``;
  if (matches) return `matching \`${(arg('matches') as RegExp).source}\``;
  if (rules.has('min') && rules.has('max')) {
    return `${rules.has('isInt') ? 'an integer' : 'a number'}, ${String(arg('min'))} to ${String(arg('max'))}`;
  }
  if (rules.has('isString') && rules.has('minLength'))
    return `a string of ${String(arg('minLength'))} characters or more`;
  if (rules.has('isString') && rules.has('isNotEmpty')) return 'a non-empty string';
  throw new Error(`${name}: no words for its validators`);
}

const shown = (value: unknown): string => (Array.isArray(value) ? value.join(',') : String(value));

/** A cell's text, with the one Markdown character a table cell cannot hold escaped. */
const cell = (text: string): string => text.replaceAll('|', '\\|');

function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: string[]): string =>
    `| ${cells.map((text, column) => text.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join(
    '\n',
  );
}
