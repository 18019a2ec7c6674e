/**
 * A tiny declarative CLI layer: each command declares its options once, and help text,
 * parsing, defaults and error messages are derived from that declaration.
 */

export type OptionType = "string" | "number" | "int" | "boolean" | "list";

export interface OptionSpec {
  /** Long name without dashes, kebab-case: `--max-len`. */
  name: string;
  type: OptionType;
  help: string;
  default?: string | number | boolean | string[];
  /** Allowed values for string options. */
  choices?: readonly string[];
  required?: boolean;
  /** Bounds of number/int options, checked at parse time: min inclusive, above/below exclusive. */
  min?: number;
  above?: number;
  below?: number;
}

export interface PositionalSpec {
  name: string;
  help: string;
  required?: boolean;
  /** Collects every remaining positional argument. */
  variadic?: boolean;
}

export type ParsedValue = string | number | boolean | string[] | undefined;

export interface ParsedArgs {
  options: Record<string, ParsedValue>;
  positionals: Record<string, string | string[] | undefined>;
}

export interface CommandSpec {
  /** Words after `latentr3`, e.g. `["data", "synth"]`. */
  path: string[];
  summary: string;
  description?: string;
  options?: OptionSpec[];
  positionals?: PositionalSpec[];
  examples?: string[];
  run(args: ParsedArgs): Promise<void> | void;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const HELP_OPTION: OptionSpec = { name: "help", type: "boolean", help: "show this help and exit" };

/** The bounds of an option in words ("> 0", "≥ 1", "≥ 0 and < 1"), or "" if it has none. */
export function formatBounds(spec: OptionSpec): string {
  const parts: string[] = [];
  if (spec.min !== undefined) parts.push(`≥ ${spec.min}`);
  if (spec.above !== undefined) parts.push(`> ${spec.above}`);
  if (spec.below !== undefined) parts.push(`< ${spec.below}`);
  return parts.join(" and ");
}

function checkBounds(command: string, spec: OptionSpec, value: number): number {
  const ok =
    (spec.min === undefined || value >= spec.min) &&
    (spec.above === undefined || value > spec.above) &&
    (spec.below === undefined || value < spec.below);
  if (!ok) throw new UsageError(`${command}: --${spec.name} must be ${formatBounds(spec)}, got ${value}`);
  return value;
}

function parseValue(command: string, spec: OptionSpec, raw: string): ParsedValue {
  switch (spec.type) {
    case "number": {
      const value = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(value)) {
        throw new UsageError(`${command}: --${spec.name} expects a number, got "${raw}"`);
      }
      return checkBounds(command, spec, value);
    }
    case "int": {
      const value = Number(raw);
      if (raw.trim() === "" || !Number.isInteger(value)) {
        throw new UsageError(`${command}: --${spec.name} expects an integer, got "${raw}"`);
      }
      return checkBounds(command, spec, value);
    }
    case "boolean":
      if (raw === "true" || raw === "1") return true;
      if (raw === "false" || raw === "0") return false;
      throw new UsageError(`${command}: --${spec.name} expects true or false, got "${raw}"`);
    case "list":
      return raw
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
    case "string":
      if (spec.choices && !spec.choices.includes(raw)) {
        throw new UsageError(`${command}: --${spec.name} must be one of ${spec.choices.join(", ")}; got "${raw}"`);
      }
      return raw;
  }
}

/** Parses argv (the words after the command path) against a command's declaration. */
export function parseArgs(spec: CommandSpec, argv: string[]): ParsedArgs & { help: boolean } {
  const command = `latentr3 ${spec.path.join(" ")}`;
  const options = new Map((spec.options ?? []).map((o) => [o.name, o]));
  const parsed: Record<string, ParsedValue> = {};
  const rest: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--") {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (word === "--help" || word === "-h") {
      help = true;
      continue;
    }
    if (!word.startsWith("--")) {
      rest.push(word);
      continue;
    }
    const eq = word.indexOf("=");
    let name = word.slice(2, eq === -1 ? undefined : eq);
    let inline = eq === -1 ? undefined : word.slice(eq + 1);
    let negated = false;
    if (!options.has(name) && name.startsWith("no-") && options.get(name.slice(3))?.type === "boolean") {
      name = name.slice(3);
      negated = true;
    }
    const opt = options.get(name);
    if (!opt) {
      throw new UsageError(`${command}: unknown option --${name} (see ${command} --help)`);
    }
    if (opt.type === "boolean" && inline === undefined) {
      parsed[name] = !negated;
      continue;
    }
    if (inline === undefined) {
      inline = argv[++i];
      if (inline === undefined) throw new UsageError(`${command}: --${name} needs a value`);
    }
    parsed[name] = parseValue(command, opt, inline);
  }
  for (const opt of spec.options ?? []) {
    if (parsed[opt.name] === undefined) {
      if (opt.required && !help) throw new UsageError(`${command}: --${opt.name} is required (see --help)`);
      parsed[opt.name] = opt.default;
    }
  }
  const positionals: Record<string, string | string[] | undefined> = {};
  const specs = spec.positionals ?? [];
  let cursor = 0;
  for (const p of specs) {
    if (p.variadic) {
      positionals[p.name] = rest.slice(cursor);
      cursor = rest.length;
      if (p.required && (positionals[p.name] as string[]).length === 0 && !help) {
        throw new UsageError(`${command}: missing argument <${p.name}> (see --help)`);
      }
    } else {
      positionals[p.name] = rest[cursor++];
      if (p.required && positionals[p.name] === undefined && !help) {
        throw new UsageError(`${command}: missing argument <${p.name}> (see --help)`);
      }
    }
  }
  if (cursor < rest.length && !help) {
    throw new UsageError(`${command}: unexpected argument "${rest[cursor]}" (see --help)`);
  }
  return { options: parsed, positionals, help };
}

function formatDefault(value: OptionSpec["default"]): string {
  if (value === undefined) return "";
  return `default: ${Array.isArray(value) ? value.join(",") : String(value)}`;
}

/** Renders `--help` for one command from its declaration. */
export function formatHelp(spec: CommandSpec): string {
  const positionals = (spec.positionals ?? [])
    .map((p) => (p.required ? `<${p.name}${p.variadic ? "..." : ""}>` : `[${p.name}${p.variadic ? "..." : ""}]`))
    .join(" ");
  const lines = [`Usage: latentr3 ${spec.path.join(" ")} [options] ${positionals}`.trimEnd(), "", spec.summary];
  if (spec.description) lines.push("", spec.description);
  if ((spec.positionals ?? []).length > 0) {
    lines.push("", "Arguments:");
    for (const p of spec.positionals ?? []) lines.push(`  ${p.name.padEnd(24)} ${p.help}`);
  }
  lines.push("", "Options:");
  for (const o of [...(spec.options ?? []), HELP_OPTION]) {
    const flag = o.type === "boolean" ? `--${o.name}` : `--${o.name} <${o.choices ? o.choices.join("|") : o.type}>`;
    const bounds = formatBounds(o);
    const notes = [o.required ? "required" : formatDefault(o.default), bounds].filter((n) => n !== "");
    lines.push(`  ${flag.padEnd(24)} ${o.help}${notes.length > 0 ? ` (${notes.join("; ")})` : ""}`);
  }
  if (spec.examples && spec.examples.length > 0) {
    lines.push("", "Examples:");
    for (const e of spec.examples) lines.push(`  ${e}`);
  }
  return lines.join("\n");
}

/** Typed accessors so command bodies do not repeat casts. */
export function str(args: ParsedArgs, name: string): string {
  const v = args.options[name];
  if (typeof v !== "string") throw new UsageError(`--${name} is required`);
  return v;
}
export function optStr(args: ParsedArgs, name: string): string | undefined {
  const v = args.options[name];
  return typeof v === "string" ? v : undefined;
}
export function num(args: ParsedArgs, name: string): number {
  const v = args.options[name];
  if (typeof v !== "number") throw new UsageError(`--${name} is required`);
  return v;
}
export function optNum(args: ParsedArgs, name: string): number | undefined {
  const v = args.options[name];
  return typeof v === "number" ? v : undefined;
}
export function bool(args: ParsedArgs, name: string): boolean {
  return args.options[name] === true;
}
export function list(args: ParsedArgs, name: string): string[] {
  const v = args.options[name];
  return Array.isArray(v) ? v : [];
}
