/** launch.test.ts's launcher in its own process, so the test can send it a signal. */
import { fileURLToPath } from "node:url";
import { launch } from "../../src/pipeline/launch.js";

const [port, ...workerArgs] = process.argv.slice(2);
const result = await launch({
  nprocPerNode: 2,
  masterPort: Number(port),
  command: [process.execPath, fileURLToPath(new URL("./launch-child.js", import.meta.url)), ...workerArgs],
  graceMs: 5000,
});
process.exit(result.exitCode);
