/**
 * Checks an output folder before any work is done: the nearest existing ancestor must be a
 * writable folder on an ordinary file system. Virtual file systems (/proc, /sys, /dev …) are
 * refused because writing there is meaningless at best, and Node's recursive mkdir loops forever
 * under /proc.
 */
import { accessSync, constants, existsSync, realpathSync, statfsSync, statSync } from "node:fs";
import { dirname, resolve, sep } from "node:path";

/** statfs magic numbers of kernel file systems that cannot hold a run (linux/magic.h). */
const VIRTUAL_FILE_SYSTEMS: Record<number, string> = {
  0x9fa0: "procfs",
  0x62656572: "sysfs",
  0x1cd1: "devpts",
  0x64626720: "debugfs",
  0x74726163: "tracefs",
  0x73636673: "securityfs",
  0x27e0eb: "cgroupfs",
  0x63677270: "cgroup2fs",
  0xcafe4a11: "bpffs",
};

/** Roots whose contents are kernel or device interfaces whatever file system reports them. */
const VIRTUAL_ROOTS = ["/proc", "/sys", "/dev"];

function nearestExisting(path: string): string {
  let p = resolve(path);
  while (!existsSync(p)) {
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  return p;
}

/** What is wrong with `dir` as an output folder, or undefined when it can be used. */
export function outputLocationProblem(dir: string): string | undefined {
  const target = resolve(dir);
  const existing = nearestExisting(target);
  const real = realpathSync(existing);
  const underRoot = VIRTUAL_ROOTS.find((root) => real === root || real.startsWith(root + sep));
  if (underRoot) return `${underRoot} is a kernel interface, not a place for run output`;
  const fsType = VIRTUAL_FILE_SYSTEMS[statfsSync(real).type];
  if (fsType) return `it is on ${fsType}, a virtual file system that cannot hold run output`;
  if (!statSync(real).isDirectory()) {
    return existing === target ? "it is a file, not a folder" : `${existing} is a file, not a folder`;
  }
  try {
    accessSync(real, constants.W_OK);
  } catch {
    return `${existing} is not writable`;
  }
  return undefined;
}

/** True when `a` and `b` are the same path or one lies inside the other (symbolic links resolved). */
export function pathsOverlap(a: string, b: string): boolean {
  const real = (p: string) => {
    const existing = nearestExisting(p);
    return resolve(realpathSync(existing), resolve(p).slice(resolve(existing).length).replace(/^\//, ""));
  };
  const [x, y] = [real(a), real(b)];
  return x === y || x.startsWith(y + sep) || y.startsWith(x + sep);
}
