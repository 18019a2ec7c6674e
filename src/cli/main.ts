#!/usr/bin/env node
import { formatHelp, parseArgs, UsageError, type CommandSpec } from "./command.js";
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

function topLevelHelp(prefix: string[] = []): string {
  const matching = commands.filter((c) => prefix.every((w, i) => c.path[i] === w));
  const width = Math.max(...matching.map((c) => c.path.join(" ").length));
  return [
    "latentr3: LLM-based generative recommendation with reinforced latent reasoning",
    "",
    "Usage: latentr3 <command> [options]      (latentr3 <command> --help for details)",
    "",
    "Commands:",
    ...matching.map((c) => `  ${c.path.join(" ").padEnd(width)}  ${c.summary}`),
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const found = findCommand(argv);
  if (!found) {
    const words = argv.filter((w) => !w.startsWith("-"));
    const asksHelp = argv.length === 0 || argv.includes("--help") || argv.includes("-h") || argv[0] === "help";
    const prefixMatches = commands.some((c) => words.length > 0 && words.every((w, i) => c.path[i] === w));
    if (asksHelp || prefixMatches) {
      console.log(topLevelHelp(prefixMatches ? words : []));
      return asksHelp ? 0 : 2;
    }
    console.error(`latentr3: unknown command "${argv.join(" ")}" (see latentr3 --help)`);
    return 2;
  }
  try {
    const args = parseArgs(found.spec, found.rest);
    if (args.help) {
      console.log(formatHelp(found.spec));
      return 0;
    }
    await found.spec.run(args);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      // Parse errors already name the command; checks in command bodies (option groups) do not.
      const prefix = `latentr3 ${found.spec.path.join(" ")}`;
      console.error(err.message.startsWith("latentr3 ") ? err.message : `${prefix}: ${err.message}`);
      return 2;
    }
    const e = err as Error;
    console.error(`latentr3 ${found.spec.path.join(" ")}: ${e.message}`);
    if (process.env.LATENTR3_DEBUG) console.error(e.stack);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
