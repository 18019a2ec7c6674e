/**
 * From parsed option values to the library's inputs, with the checks that need the file system
 * (a --data or --model folder that does not exist fails at once, naming the option).
 */
import { existsSync, statSync } from "node:fs";
import { UsageError, type ParsedArgs } from "./command.js";
import { DATA_SOURCE_CONFIG, dataSourceOptions, loadDataSource, type DataSource } from "../data/data-source.js";
import { DEVICE_CONFIG, defaultDevice, deviceProblem } from "../engine/index.js";
import { modelFolderProblem } from "../llm/checkpoint.js";
import { outputLocationProblem } from "../util/output-location.js";

export async function dataSourceFrom(args: ParsedArgs): Promise<DataSource> {
  const config = DATA_SOURCE_CONFIG.from(args.values);
  const data = config.data;
  if (data !== undefined && (!existsSync(data) || !statSync(data).isDirectory())) {
    const what = existsSync(data) ? "is a file, not a folder" : "no such folder";
    throw new UsageError(
      `--data ${data}: ${what} (expected a dataset folder with info/<stem>.txt and {train,valid,test}/<stem>.csv)`,
    );
  }
  try {
    return await loadDataSource(dataSourceOptions(config));
  } catch (err) {
    // Name the option in errors about the folder itself ("<dir>: not a dataset folder ...").
    const e = err as Error;
    if (data !== undefined && e.message.startsWith(`${data}:`)) e.message = `--data ${e.message}`;
    throw e;
  }
}

/**
 * The --model folder, checked before any data is loaded or generated: a wrong path fails at once,
 * naming the option, the path and what a model folder holds.
 */
export function modelFolderFrom(args: ParsedArgs): string {
  const dir = args.values.model as string;
  const problem = modelFolderProblem(dir);
  if (problem) throw new UsageError(`--model ${dir}: ${problem}`);
  return dir;
}

/** An output folder that cannot be used fails before any work, naming the option. */
export function checkOutput(dir: string, option = "out"): void {
  const problem = outputLocationProblem(dir);
  if (problem) throw new UsageError(`--${option} ${dir}: ${problem}`);
}

export function deviceFrom(args: ParsedArgs): string {
  const device = DEVICE_CONFIG.from(args.values).device ?? defaultDevice();
  const problem = deviceProblem(device);
  if (problem) throw new UsageError(`--device ${device}: ${problem}`);
  return device;
}
