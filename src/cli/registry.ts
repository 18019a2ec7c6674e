import type { CommandSpec } from "./command.js";
import { compareCommand } from "./compare.js";
import { dataCommands } from "./data.js";

/** Every CLI command, in the order `latentr3 --help` lists them. */
export const commands: CommandSpec[] = [...dataCommands, compareCommand];
