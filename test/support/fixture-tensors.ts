/** Reads every tensor of a fixture's safetensors file (inputs and expected outputs), kept out of tidy scopes. */
import { type Tensor } from "../../src/engine/index.js";
import { openSafetensors } from "../../src/engine/safetensors.js";
import { loadEntry } from "../../src/engine/tensor-io.js";

export function readFixtureTensors(path: string): Map<string, Tensor> {
  const file = openSafetensors(path);
  try {
    const out = new Map<string, Tensor>();
    for (const [name, entry] of file.entries) out.set(name, loadEntry(entry).keep());
    return out;
  } finally {
    file.close();
  }
}
