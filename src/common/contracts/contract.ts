/**
 * A message declared once: its fields, in the order they travel and are written, each with the
 * rule it must meet. The TypeScript type (`MessageOf`), the guard (`problem`) and the copy of
 * the contract's fields (`fields`) are derived from that one declaration.
 *
 * Hand-made rather than class-validator or a schema library: the guard runs on every message of
 * every hop, and a rule may depend on another field (`seq` is at most `total`).
 */

/** A rule for one field; `V` its type, `O` whether it may be absent. */
export interface FieldRule<V, O extends boolean = false> {
  /** Whether `value` meets the rule, given the message (whose `after` fields have been checked). */
  readonly accepts: (value: unknown, message: Readonly<Record<string, unknown>>) => boolean;
  /** What the field must be, after its name: `must be an integer in 1..total`. */
  readonly must: string;
  /** Fields whose rules are checked before this one, because this one reads them. */
  readonly after: readonly string[];
  readonly optional: O;
  /** Only for the type: never set. */
  readonly type?: V;
}

type AnyRule = FieldRule<unknown, boolean>;
export type Shape = Readonly<Record<string, AnyRule>>;

type ValueOf<R> = R extends FieldRule<infer V, boolean> ? V : never;
type OptionalKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends FieldRule<unknown, true> ? K : never;
}[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;

/** The message a shape describes: a readonly field per rule, optional where the rule is. */
export type MessageOf<S extends Shape> = {
  readonly [K in RequiredKeys<S>]: ValueOf<S[K]>;
} & { readonly [K in OptionalKeys<S>]?: ValueOf<S[K]> };

export interface Contract<T> {
  /** What the message is, as an error says it: `a task must be an object`. */
  readonly name: string;
  /** Why `value` is not a `T` (the first rule it breaks, naming the field), or undefined. */
  problem(value: unknown): string | undefined;
  /**
   * The contract's fields of `message` and nothing else, in the contract's order. A message is
   * passed on from hop to hop; fields a sender added would travel with it, and a task near the
   * frame limit at one hop would break the next, where it is a little longer.
   */
  fields(message: T): T;
}

/** A message of the fields of `shape`; `extends` adds them after those of another shape. */
export interface MessageContract<S extends Shape> extends Contract<MessageOf<S>> {
  readonly shape: S;
}

export function contract<S extends Shape>(name: string, shape: S): MessageContract<S> {
  const keys = Object.keys(shape);
  const checks = checkOrder(shape).map((key) => ({
    key,
    rule: shape[key],
    says: `${key} ${shape[key].must}`,
  }));
  const copied = keys.map((key) => ({ key, optional: shape[key].optional }));
  const notObject = `${/^[aeiou]/.test(name) ? 'an' : 'a'} ${name} must be an object`;
  return {
    name,
    shape,
    problem(value) {
      if (typeof value !== 'object' || value === null) return notObject;
      const message = value as Record<string, unknown>;
      for (const { key, rule, says } of checks) {
        const field = message[key];
        if (field === undefined && rule.optional) continue;
        if (!rule.accepts(field, message)) return says;
      }
      return undefined;
    },
    fields(message) {
      const from = message as Record<string, unknown>;
      const copy: Record<string, unknown> = {};
      for (const { key, optional } of copied) {
        if (optional && from[key] === undefined) continue;
        copy[key] = from[key];
      }
      return copy as MessageOf<S>;
    },
  };
}

/** The fields of `base` then those of `more`: a `Result` is a `Task` and what processing adds. */
export function extend<B extends Shape, M extends Shape>(
  name: string,
  base: MessageContract<B>,
  more: M,
): MessageContract<B & M> {
  return contract(name, { ...base.shape, ...more });
}

/** Each field after those it reads, otherwise in the shape's order. */
function checkOrder(shape: Shape): string[] {
  const ordered: string[] = [];
  const visit = (key: string): void => {
    if (ordered.includes(key)) return;
    const rule = shape[key];
    if (!rule) throw new Error(`a rule reads field ${key}, which the contract does not have`);
    for (const before of rule.after) visit(before);
    ordered.push(key);
  };
  for (const key of Object.keys(shape)) visit(key);
  return ordered;
}

/** The rule for a field that may be absent (when present, it must meet `rule`). */
export const optional = <V>(rule: FieldRule<V>): FieldRule<V, true> => ({
  ...rule,
  optional: true,
});

/** An integer in `min..max`. */
export const integer = (min: number, max: number): FieldRule<number> =>
  integerUpTo(min, { max: () => max, says: String(max), after: [] });

/** An integer from `min` to a bound read from fields checked before it (`after`). */
export function integerUpTo(
  min: number,
  bound: {
    readonly max: (message: Readonly<Record<string, number>>) => number;
    /** The bound as an error says it: `total`. */
    readonly says: string;
    readonly after: readonly string[];
  },
): FieldRule<number> {
  return {
    accepts: (value, message) =>
      Number.isInteger(value) &&
      (value as number) >= min &&
      (value as number) <= bound.max(message as Record<string, number>),
    must: `must be an integer in ${min}..${bound.says}`,
    after: bound.after,
    optional: false,
  };
}

/** A finite number in `min..max`. */
export const decimal = (min: number, max: number): FieldRule<number> => ({
  accepts: (value) =>
    Number.isFinite(value) && (value as number) >= min && (value as number) <= max,
  must: `must be a number in ${min}..${max}`,
  after: [],
  optional: false,
});

/** A time: epoch milliseconds, finite and not negative. */
export const time = (): FieldRule<number> => ({
  accepts: (value) => Number.isFinite(value) && (value as number) >= 0,
  must: 'must be a time',
  after: [],
  optional: false,
});

/** A string of `min..max` characters that `pattern` (if given) matches; `must` says what. */
export function text(
  min: number,
  max: number,
  pattern?: RegExp,
  must = `must be a string of ${min}..${max} characters`,
): FieldRule<string> {
  return {
    // The length first: the pattern need not look at a long string at all.
    accepts: (value) =>
      typeof value === 'string' &&
      value.length >= min &&
      value.length <= max &&
      (pattern === undefined || pattern.test(value)),
    must,
    after: [],
    optional: false,
  };
}
