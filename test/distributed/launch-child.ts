/**
 * A worker of launch.test.ts: joins the job, then sums a number with its peers in a loop. One rank
 * misbehaves as the scenario says: throws an Error, is SIGKILLed, or stops calling collectives.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { DataParallel } from "../../src/distributed/index.js";

const scenario = process.argv[2] ?? "ok";
const dp = DataParallel.fromEnv({ device: "cpu" });
const culprit = dp.worldSize - 1;
console.log(`hello from rank ${dp.rank} of ${dp.worldSize}`);
if (scenario === "wait") {
  // Stays in the job until a signal ends it (the launcher forwards the one it receives).
  process.on("SIGTERM", () => {
    console.log(`rank ${dp.rank} got SIGTERM`);
    process.exit(143);
  });
  console.log(`rank ${dp.rank} waiting`);
  await sleep(600_000);
}
for (let step = 0; step < 50; step++) {
  if (dp.rank === culprit && step === 3) {
    if (scenario === "throw") throw new Error(`deliberate failure in rank ${dp.rank}`);
    if (scenario === "kill") process.kill(process.pid, "SIGKILL");
    if (scenario === "hang") await sleep(600_000); // alive but silent: the peers' collective times out
  }
  const [total] = dp.sum([1]);
  if (total !== dp.worldSize) throw new Error(`rank ${dp.rank}: sum ${total}, expected ${dp.worldSize}`);
}
console.log(`rank ${dp.rank} done`);
dp.close();
