import type { CommandSpec } from "./command.js";
import { compareCommand } from "./compare.js";
import { dataCommands } from "./data.js";
import { demoCommand } from "./demo.js";
import { evalCommand } from "./eval.js";
import { infoCommand } from "./info.js";
import { launchCommand } from "./launch.js";
import { modelCommands } from "./model.js";
import { serveCommand } from "./serve.js";
import { trainCommands } from "./train.js";

/** Every CLI command, in the order `latentr3 --help` lists them. */
export const commands: CommandSpec[] = [
  demoCommand,
  ...trainCommands,
  evalCommand,
  launchCommand,
  compareCommand,
  serveCommand,
  ...dataCommands,
  ...modelCommands,
  infoCommand,
];
