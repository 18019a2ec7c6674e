/**
 * Commands are declared as data: a path, help texts, and the config tables whose settings become
 * the command's options. `commander` parses the words; the tables (src/util/config-table.ts) give
 * every option its type, default, bounds and help, and validate the values, so a setting is written
 * once for the library, the CLI and `--help` alike.
 */
import { Command, CommanderError, Option } from "commander";
import {
  ConfigError,
  fieldProblem,
  formatBounds,
  parseFieldValue,
  type Field,
  type SettingsTable,
} from "../util/config-table.js";

export interface PositionalSpec {
  name: string;
  help: string;
  required?: boolean;
  /** Collects every remaining positional argument. */
  variadic?: boolean;
}

export interface ParsedArgs {
  /** Every option's value by setting key: given on the command line, else the table's default. */
  values: Record<string, unknown>;
  positionals: Record<string, string | string[] | undefined>;
  /** Keys of the settings given on the command line (the rest are defaults). */
  given: ReadonlySet<string>;
}

export interface CommandSpec {
  /** Words after `latentr3`, e.g. `["data", "synth"]`. */
  path: string[];
  summary: string;
  description?: string;
  /** Option groups: every setting of every table is an option (flags are unique within a command). */
  options?: SettingsTable[];
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

interface OptionEntry {
  key: string;
  flag: string;
  field: Field<unknown>;
  table: SettingsTable;
}

/** Every option of a command, in declaration order; duplicate flags or keys are a programming error. */
export function commandOptions(spec: CommandSpec): OptionEntry[] {
  const entries: OptionEntry[] = [];
  const flags = new Set<string>();
  const keys = new Set<string>();
  for (const table of spec.options ?? []) {
    for (const key of table.keys()) {
      const flag = table.flagOf(key);
      if (flags.has(flag) || keys.has(key)) {
        throw new Error(`latentr3 ${spec.path.join(" ")}: option --${flag} (${key}) is declared twice`);
      }
      flags.add(flag);
      keys.add(key);
      entries.push({ key, flag, field: table.field(key), table });
    }
  }
  return entries;
}

function formatDefault(value: unknown): string {
  if (value === undefined || value === false || (Array.isArray(value) && value.length === 0)) return "";
  return `default: ${Array.isArray(value) ? value.join(",") : String(value)}`;
}

function optionHelp(field: Field<unknown>): string {
  const notes = [field.required ? "required" : formatDefault(field.default), formatBounds(field)].filter((n) => n);
  return `${field.help}${notes.length > 0 ? ` (${notes.join("; ")})` : ""}`;
}

function valueName(field: Field<unknown>): string {
  return field.valueName ?? (field.choices ? field.choices.join("|") : field.type);
}

/** A commander command for one spec, with options and arguments but no defaults (the tables hold them). */
function buildCommand(spec: CommandSpec): Command {
  const name = `latentr3 ${spec.path.join(" ")}`;
  const command = new Command(name)
    .description([spec.summary, spec.description].filter(Boolean).join("\n\n"))
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: () => undefined })
    .configureHelp({ helpWidth: 120 })
    .helpOption("-h, --help", "show this help and exit")
    .allowExcessArguments(false);
  for (const { flag, field } of commandOptions(spec)) {
    const flags = field.type === "boolean" ? `--${flag}` : `--${flag} <${valueName(field)}>`;
    command.addOption(new Option(flags, optionHelp(field)));
    // A setting that is on by default is turned off with --no-<flag>.
    if (field.type === "boolean" && field.default === true) {
      command.addOption(new Option(`--no-${flag}`, `turn --${flag} off`));
    }
  }
  for (const p of spec.positionals ?? []) {
    const arg = `${p.name}${p.variadic ? "..." : ""}`;
    command.argument(p.required ? `<${arg}>` : `[${arg}]`, p.help);
  }
  if (spec.examples && spec.examples.length > 0) {
    command.addHelpText("after", ["", "Examples:", ...spec.examples.map((e) => `  ${e}`)].join("\n"));
  }
  return command;
}

/** `--help` of one command. */
export function formatHelp(spec: CommandSpec): string {
  return buildCommand(spec).helpInformation() + (spec.examples?.length ? examplesText(spec) : "");
}

function examplesText(spec: CommandSpec): string {
  return ["", "Examples:", ...(spec.examples ?? []).map((e) => `  ${e}`), ""].join("\n");
}

/** Turns commander's errors into ours: one line naming the option, and `--help` to read. */
function usageErrorOf(err: CommanderError, command: string): UsageError {
  const quoted = /'([^']+)'/.exec(err.message)?.[1] ?? "";
  const suggestion = /\(Did you mean ([^)]+)\)/.exec(err.message)?.[1];
  switch (err.code) {
    case "commander.unknownOption":
      return new UsageError(
        `${command}: unknown option ${quoted} (see ${command} --help)${suggestion ? `; did you mean ${suggestion}?` : ""}`,
      );
    case "commander.optionMissingArgument":
      return new UsageError(`${command}: ${quoted.split(" ")[0]} needs a value`);
    case "commander.missingArgument":
      return new UsageError(`${command}: missing argument <${quoted}> (see --help)`);
    case "commander.excessArguments":
      return new UsageError(`${command}: unexpected argument (see --help): ${err.message.replace(/^error: /, "")}`);
    default:
      return new UsageError(`${command}: ${err.message.replace(/^error: /, "")}`);
  }
}

/**
 * Parses argv (the words after the command path). Returns undefined when --help was shown.
 * Throws UsageError for anything a user typed wrong.
 */
export function parseArgs(spec: CommandSpec, argv: string[]): ParsedArgs | undefined {
  const name = `latentr3 ${spec.path.join(" ")}`;
  const command = buildCommand(spec);
  let positionals: string[] = [];
  command.action((...args: unknown[]) => {
    positionals = args.slice(0, (spec.positionals ?? []).length) as string[];
  });
  try {
    command.parse(argv, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.help") return undefined;
      throw usageErrorOf(err, name);
    }
    throw err;
  }
  const raw = command.opts() as Record<string, string | boolean | undefined>;
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  for (const { key, flag, field } of commandOptions(spec)) {
    const camel = command.options.find((o) => o.long === `--${flag}`)!.attributeName();
    const text = raw[camel];
    if (text === undefined) {
      if (field.required) throw new UsageError(`${name}: --${flag} is required (see --help)`);
      values[key] = Array.isArray(field.default) ? [...field.default] : field.default;
      continue;
    }
    given.add(key);
    if (typeof text === "boolean") {
      values[key] = text;
      continue;
    }
    const parsed = parseFieldValue(field, text);
    const problem = parsed.problem ?? fieldProblem(field, parsed.value);
    if (problem) throw new UsageError(`${name}: --${flag} ${problem}`);
    values[key] = parsed.value;
  }
  for (const table of spec.options ?? []) {
    try {
      table.validateValues(values, (key) => `--${table.flagOf(key)}`);
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(`${name}: ${err.message}`);
      throw err;
    }
  }
  const named: ParsedArgs["positionals"] = {};
  (spec.positionals ?? []).forEach((p, i) => (named[p.name] = positionals[i]));
  return { values, positionals: named, given };
}
