/**
 * Declarative configuration tables: each setting is written once — name, type, default, bounds,
 * help — and the defaults, validation, the CLI options and their `--help` text are all derived
 * from that one declaration (the way TRL's config dataclasses generate their argument parser).
 *
 *   const TRAINING = configTable("training", {
 *     lr: number(3e-4, "peak learning rate", { above: 0 }),
 *     schedule: choice(["linear", "cosine"] as const, "linear", "schedule after warm-up"),
 *   });
 *   type TrainingConfig = ConfigOf<typeof TRAINING>;
 *   TRAINING.make({ lr: 1e-3 }); // defaults + overrides, validated
 */

export type FieldType = "int" | "number" | "string" | "boolean" | "list";

export interface Bounds {
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  /** Exclusive upper bound. */
  below?: number;
  /** Inclusive upper bound. */
  max?: number;
}

export interface Field<V> extends Bounds {
  type: FieldType;
  help: string;
  /** The value when none is given; undefined for optional settings without one. */
  default: V;
  /** Allowed values of a string setting. */
  choices?: readonly string[];
  /** The CLI must be given this option (no default). */
  required?: boolean;
  /** CLI flag without dashes; default: the key in kebab-case (`maxGradNorm` → `max-grad-norm`). */
  flag?: string;
  /** Placeholder shown in --help for the value (default: the type or the choices). */
  valueName?: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Fields = Record<string, Field<any>>;
export type ConfigOf<T> = T extends ConfigTable<infer F> ? ValuesOf<F> : never;
export type ValuesOf<F extends Fields> = { [K in keyof F]: F[K]["default"] };

/** An invalid setting; `setting` is the key (library) or the flag (CLI) it concerns. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly setting: string,
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

export const int = (def: number, help: string, bounds: Bounds = {}): Field<number> => ({
  type: "int",
  default: def,
  help,
  ...bounds,
});
export const number = (def: number, help: string, bounds: Bounds = {}): Field<number> => ({
  type: "number",
  default: def,
  help,
  ...bounds,
});
export const string = (def: string, help: string): Field<string> => ({ type: "string", default: def, help });
export const boolean = (help: string, def = false): Field<boolean> => ({ type: "boolean", default: def, help });
export const list = (def: string[], help: string): Field<string[]> => ({ type: "list", default: def, help });
export function choice<C extends string>(choices: readonly C[], def: C, help: string): Field<C> {
  return { type: "string", default: def, help, choices };
}
/** A setting without a default (absent = undefined), e.g. an optional path. */
export function optional<T extends "string" | "int" | "number">(
  type: T,
  help: string,
  bounds: Bounds = {},
): Field<(T extends "string" ? string : number) | undefined> {
  return { type, default: undefined, help, ...bounds };
}
/** A string the CLI must be given (the library takes it as an argument). */
export const required = (help: string): Field<string> => ({ type: "string", default: "", help, required: true });

export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The bounds of a setting in words ("> 0", "≥ 1", "≥ 0 and < 1"), or "" if it has none. */
export function formatBounds(field: Bounds): string {
  const parts: string[] = [];
  if (field.min !== undefined) parts.push(`≥ ${field.min}`);
  if (field.above !== undefined) parts.push(`> ${field.above}`);
  if (field.below !== undefined) parts.push(`< ${field.below}`);
  if (field.max !== undefined) parts.push(`≤ ${field.max}`);
  return parts.join(" and ");
}

function inBounds(field: Bounds, value: number): boolean {
  return (
    (field.min === undefined || value >= field.min) &&
    (field.above === undefined || value > field.above) &&
    (field.below === undefined || value < field.below) &&
    (field.max === undefined || value <= field.max)
  );
}

/** Checks one value against its field; returns the problem in words, or undefined. */
export function fieldProblem(field: Field<unknown>, value: unknown): string | undefined {
  if (value === undefined) return field.default === undefined && !field.required ? undefined : "is missing";
  switch (field.type) {
    case "int":
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) return `expects a number, got ${JSON.stringify(value)}`;
      if (field.type === "int" && !Number.isInteger(value)) return `expects an integer, got ${value}`;
      if (!inBounds(field, value)) return `must be ${formatBounds(field)}, got ${value}`;
      return undefined;
    case "boolean":
      return typeof value === "boolean" ? undefined : `expects true or false, got ${JSON.stringify(value)}`;
    case "list":
      return Array.isArray(value) && value.every((v) => typeof v === "string")
        ? undefined
        : `expects a list of strings, got ${JSON.stringify(value)}`;
    case "string":
      if (typeof value !== "string") return `expects a string, got ${JSON.stringify(value)}`;
      if (field.choices && !field.choices.includes(value))
        return `must be one of ${field.choices.join(", ")}; got "${value}"`;
      return undefined;
  }
}

/** Parses a command-line string into a field's value (before bounds are checked). */
export function parseFieldValue(field: Field<unknown>, raw: string): { value?: unknown; problem?: string } {
  switch (field.type) {
    case "int": {
      const value = Number(raw);
      if (raw.trim() === "" || !Number.isInteger(value)) return { problem: `expects an integer, got "${raw}"` };
      return { value };
    }
    case "number": {
      const value = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(value)) return { problem: `expects a number, got "${raw}"` };
      return { value };
    }
    case "boolean":
      if (raw === "true" || raw === "1") return { value: true };
      if (raw === "false" || raw === "0") return { value: false };
      return { problem: `expects true or false, got "${raw}"` };
    case "list":
      return {
        value: raw
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s.length > 0),
      };
    case "string":
      return { value: raw };
  }
}

/** What a consumer of any table needs (the CLI), whatever its fields; methods, so any table fits. */
export interface SettingsTable {
  readonly name: string;
  keys(): string[];
  field(key: string): Field<unknown>;
  flagOf(key: string): string;
  /** Validates the table's settings among `values` (keyed by setting), naming them by `nameOf`. */
  validateValues(values: Record<string, unknown>, nameOf: (key: string) => string): void;
}

export class ConfigTable<F extends Fields> implements SettingsTable {
  constructor(
    /** What the settings configure, for messages ("LR-GRPO"). */
    readonly name: string,
    readonly fields: F,
    /** A check across settings; returns the problem in words (naming settings by `flagOf`), or undefined. */
    readonly check?: (config: ValuesOf<F>, nameOf: (key: keyof F & string) => string) => string | undefined,
  ) {}

  keys(): (keyof F & string)[] {
    return Object.keys(this.fields);
  }

  flagOf(key: keyof F & string): string {
    return this.fields[key]!.flag ?? kebab(key);
  }

  field(key: string): Field<unknown> {
    return this.fields[key]!;
  }

  validateValues(values: Record<string, unknown>, nameOf: (key: string) => string): void {
    this.validate(this.from(values), nameOf);
  }

  defaults(): ValuesOf<F> {
    const out: Record<string, unknown> = {};
    for (const key of this.keys()) {
      const d = this.fields[key]!.default;
      out[key] = Array.isArray(d) ? [...d] : d;
    }
    return out as ValuesOf<F>;
  }

  /** Defaults with `overrides` applied, validated; errors name the setting by its key. */
  make(overrides: Partial<ValuesOf<F>> = {}): ValuesOf<F> {
    const config = { ...this.defaults(), ...definedOnly(overrides) } as ValuesOf<F>;
    this.validate(config, (k) => k);
    return config;
  }

  /** Throws a ConfigError for the first invalid setting (named by `nameOf`: key or `--flag`). */
  validate(config: ValuesOf<F>, nameOf: (key: keyof F & string) => string = (k) => k): void {
    for (const key of this.keys()) {
      const field = this.fields[key]!;
      if (field.required && (config[key] === undefined || config[key] === "")) continue; // the CLI checks presence
      const problem = fieldProblem(field, config[key]);
      if (problem) throw new ConfigError(`${nameOf(key)} ${problem}`, nameOf(key));
    }
    const problem = this.check?.(config, nameOf);
    if (problem) throw new ConfigError(problem, this.name);
  }

  /** The same settings with other defaults (e.g. pretraining's vs SFT's batch size); validated. */
  withDefaults(defaults: Partial<ValuesOf<F>>): ConfigTable<F> {
    const fields = { ...this.fields } as Fields;
    for (const [key, value] of Object.entries(definedOnly(defaults))) fields[key] = { ...fields[key]!, default: value };
    const table = new ConfigTable(this.name, fields as F, this.check);
    table.validate(table.defaults());
    return table;
  }

  /** A table of some of the settings (a command that exposes only part of a config). */
  pick<K extends keyof F & string>(...keys: K[]): ConfigTable<Pick<F, K>> {
    const fields = Object.fromEntries(keys.map((k) => [k, this.fields[k]])) as Pick<F, K>;
    return new ConfigTable(this.name, fields);
  }

  /** The settings of `values` that belong to this table (by key). */
  from(values: Record<string, unknown>): ValuesOf<F> {
    const out: Record<string, unknown> = {};
    for (const key of this.keys()) out[key] = values[key];
    return out as ValuesOf<F>;
  }
}

export function configTable<F extends Fields>(
  name: string,
  fields: F,
  check?: (config: ValuesOf<F>, nameOf: (key: keyof F & string) => string) => string | undefined,
): ConfigTable<F> {
  const table = new ConfigTable(name, fields, check);
  table.validate(table.defaults());
  return table;
}

function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}
