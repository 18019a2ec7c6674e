/** Reading JSON files with errors that name the file and what it should have been. */
import { readFileSync } from "node:fs";

export function readJsonFile<T>(path: string, what = "JSON file"): T {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`${path}: cannot read the ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${path}: the ${what} is not valid JSON (${(e as Error).message})`);
  }
}
