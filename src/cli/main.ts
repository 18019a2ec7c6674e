#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { parseArgs, UsageError, commandOptions, type CommandSpec } from "./command.js";
import { commands } from "./registry.js";

function findCommand(argv: string[]): { spec: CommandSpec; rest: string[] } | undefined {
  let best: { spec: CommandSpec; rest: string[] } | undefined;
  for (const spec of commands) {
    const n = spec.path.length;
    if (argv.length >= n && spec.path.every((w, i) => argv[i] === w)) {
      if (!best || n > best.spec.path.length) best = { spec, rest: argv.slice(n) };
    }
  }
  return best;
}

const resumable = (c: CommandSpec) => commandOptions(c).some((o) => o.key === "resume");

function topLevelHelp(prefix: string[] = []): string {
  const matching = commands.filter((c) => prefix.every((w, i) => c.path[i] === w));
  const width = Math.max(...matching.map((c) => c.path.join(" ").length));
  return [
    "latentr3: LLM-based generative recommendation with reinforced latent reasoning",
    "",
    "Usage: latentr3 <command> [options]      (latentr3 <command> --help, or latentr3 help <command>, for details)",
    "",
    "Commands (* = continues a killed run with --resume):",
    ...matching.map((c) => `  ${c.path.join(" ").padEnd(width)}  ${resumable(c) ? "*" : " "} ${c.summary}`),
    "",
    "Options: --help, --version",
  ].join("\n");
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
    console.log(`latentr3 ${version()}`);
    return 0;
  }
  // `latentr3 help CMD …` is `latentr3 CMD … --help`.
  if (argv[0] === "help" && argv.length > 1) return main([...argv.slice(1), "--help"]);
  const found = findCommand(argv);
  if (!found) {
    const words = argv.filter((w) => !w.startsWith("-"));
    const asksHelp = argv.includes("--help") || argv.includes("-h") || argv[0] === "help";
    const prefixMatches = commands.some((c) => words.length > 0 && words.every((w, i) => c.path[i] === w));
    if (argv.length === 0 || asksHelp || prefixMatches) {
      // Without a command there is nothing to do: the help, and a non-zero exit for scripts.
      console.log(topLevelHelp(prefixMatches ? words : []));
      return asksHelp ? 0 : 2;
    }
    console.error(`latentr3: unknown command "${argv.join(" ")}" (see latentr3 --help)`);
    return 2;
  }
  const name = `latentr3 ${found.spec.path.join(" ")}`;
  try {
    const args = parseArgs(found.spec, found.rest);
    if (!args) return 0; // --help was shown
    await found.spec.run(args);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      // Parse errors already name the command; checks in command bodies (option groups) do not.
      console.error(err.message.startsWith("latentr3 ") ? err.message : `${name}: ${err.message}`);
      return 2;
    }
    const e = err as Error;
    console.error(`${name}: ${e.message}`);
    if (process.env.LATENTR3_DEBUG) console.error(e.stack);
    return 1;
  }
}

// A reader that stops early (`latentr3 … | head`) closes the pipe. Node turns that into an EPIPE error
// event, which would end the process with a stack trace; end it quietly instead, with the status a
// SIGPIPE death gives a Unix tool (128 + 13). A killed run resumes from its checkpoints.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
  process.exit(141);
});

const code = await main(process.argv.slice(2));
process.exitCode = code;
