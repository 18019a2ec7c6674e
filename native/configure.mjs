#!/usr/bin/env node
/**
 * Locates libtorch and writes `native/libtorch.gypi` for node-gyp.
 *
 * Search order (first hit wins):
 *   1. $LIBTORCH: a folder with include/ and lib/ (an unpacked libtorch zip, or a pip torch folder)
 *   2. the `torch` package of an installed Python (python3, then /usr/bin/python3), if it ships headers
 *   3. Debian's libtorch-dev paths (/usr/include/torch, /usr/lib/<triplet>)
 * Prints one line saying which libtorch was used (version, CUDA yes/no, c10d backends).
 *
 * c10d process groups (native/src/distributed.cc) are compiled in per backend only when the
 * libtorch exports them and their headers are present: Gloo needs gloo/ headers (Debian: libgloo-dev),
 * NCCL needs nccl.h and the CUDA runtime headers. Without them the addon builds with no backend.
 */
import { existsSync, readFileSync, writeFileSync, readdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

function fromFolder(root, source) {
  const include = join(root, "include");
  const lib = join(root, "lib");
  if (!existsSync(join(include, "torch", "csrc", "api", "include", "torch", "torch.h"))) return undefined;
  if (!existsSync(lib)) return undefined;
  return { source, includeDirs: [include, join(include, "torch", "csrc", "api", "include")], libDir: lib };
}

function fromPython() {
  const script =
    "import torch,os,json;print(json.dumps({'root':os.path.dirname(torch.__file__),'abi':int(torch._C._GLIBCXX_USE_CXX11_ABI)}))";
  for (const python of ["python3", "/usr/bin/python3"]) {
    try {
      const out = execFileSync(python, ["-c", script], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
      const { root, abi } = JSON.parse(out.trim());
      const found = fromFolder(root, `python torch at ${root} (${python})`);
      if (found) return { ...found, abi };
    } catch {
      // this interpreter has no torch; try the next
    }
  }
  return undefined;
}

function fromDebian() {
  const triplets = ["x86_64-linux-gnu", "aarch64-linux-gnu"];
  for (const t of triplets) {
    const lib = `/usr/lib/${t}`;
    if (existsSync("/usr/include/torch/csrc/api/include/torch/torch.h") && existsSync(join(lib, "libtorch.so"))) {
      return {
        source: "Debian libtorch-dev",
        includeDirs: ["/usr/include", "/usr/include/torch/csrc/api/include"],
        libDir: lib,
        abi: 1,
      };
    }
  }
  return undefined;
}

function versionOf(includeDirs) {
  for (const dir of includeDirs) {
    const header = join(dir, "torch", "version.h");
    const alt = join(dir, "torch", "csrc", "api", "include", "torch", "version.h");
    // PyTorch ≥ 2.8 defines the version macros here and includes this header from version.h.
    const headerOnly = join(dir, "torch", "headeronly", "version.h");
    for (const h of [headerOnly, header, alt]) {
      if (existsSync(h)) {
        const text = readFileSync(h, "utf8");
        const m = /TORCH_VERSION\s+"([^"]+)"/.exec(text);
        const major = /TORCH_VERSION_MAJOR\s+(\d+)/.exec(text)?.[1];
        const minor = /TORCH_VERSION_MINOR\s+(\d+)/.exec(text)?.[1];
        const patch = /TORCH_VERSION_PATCH\s+(\d+)/.exec(text)?.[1];
        return m?.[1] ?? `${major}.${minor}.${patch}`;
      }
    }
  }
  return "unknown";
}

/** Guesses the C++11 ABI of a libtorch folder from its mangled symbol names. */
function abiOf(libDir) {
  try {
    const bytes = readFileSync(join(libDir, "libc10.so"));
    return bytes.includes("__cxx11") ? 1 : 0;
  } catch {
    return 1;
  }
}

let found;
if (process.env.LIBTORCH) {
  found = fromFolder(process.env.LIBTORCH, `LIBTORCH=${process.env.LIBTORCH}`);
  if (!found) {
    console.error(
      `configure: LIBTORCH=${process.env.LIBTORCH} has no include/torch/csrc/api/include/torch/torch.h or lib/`,
    );
    process.exit(1);
  }
}
found ??= fromPython() ?? fromDebian();
if (!found) {
  console.error(
    "configure: libtorch not found. Install Debian's libtorch-dev (apt-get install libtorch-dev), " +
      "install a Python torch package, or set LIBTORCH to a folder with include/ and lib/.",
  );
  process.exit(1);
}

const libs = readdirSync(found.libDir);
const cuda = libs.some((f) => f.startsWith("libtorch_cuda"));
const abi = found.abi ?? abiOf(found.libDir);
const version = versionOf(found.includeDirs);
const libraries = [`-L${found.libDir}`, `-Wl,-rpath,${found.libDir}`, "-ltorch", "-ltorch_cpu", "-lc10"];
if (cuda) libraries.push("-Wl,--no-as-needed", "-ltorch_cuda", "-lc10_cuda", "-Wl,--as-needed");

/** Folders where a backend's third-party headers may live besides libtorch's own include dirs. */
function headerDirs(includeDirs) {
  const dirs = [...includeDirs, "/usr/include", "/usr/local/include"];
  for (const cudaRoot of [process.env.CUDA_HOME, process.env.CUDA_PATH, "/usr/local/cuda"]) {
    if (cudaRoot) dirs.push(join(cudaRoot, "include"));
  }
  // pip wheels put NCCL and the CUDA runtime headers in nvidia/<part>/include next to torch/.
  const sitePackages = join(found.libDir, "..", "..");
  for (const part of ["nccl", "cuda_runtime"]) dirs.push(join(sitePackages, "nvidia", part, "include"));
  return dirs.filter((d) => existsSync(d));
}

/** Whether a shared library exports a symbol whose mangled name starts with `prefix`. */
function exports(libPath, prefix) {
  if (!existsSync(libPath)) return false;
  try {
    const out = execFileSync("nm", ["-D", "--defined-only", libPath], {
      encoding: "utf8",
      maxBuffer: 1 << 28,
      stdio: ["ignore", "pipe", "ignore"],
    });
    return out.includes(prefix);
  } catch {
    return readFileSync(libPath).includes(prefix); // no nm: the dynamic string table is in the file
  }
}

function c10dBackends(includeDirs, libDir) {
  const dirs = headerDirs(includeDirs);
  const extraDirs = new Set();
  // The folder holding `rel`, remembered when it is not already on the include path.
  const header = (rel) => {
    const dir = dirs.find((d) => existsSync(join(d, rel)));
    if (dir && !includeDirs.includes(dir) && dir !== "/usr/include") extraDirs.add(dir);
    return dir !== undefined;
  };
  const c10dHeader = (name) => header(join("torch", "csrc", "distributed", "c10d", name));
  const cpuLib = join(libDir, "libtorch_cpu.so");
  const store = c10dHeader("TCPStore.hpp") && exports(cpuLib, "_ZN4c10d8TCPStoreC1");
  const gloo =
    store &&
    c10dHeader("ProcessGroupGloo.hpp") &&
    header(join("gloo", "algorithm.h")) &&
    exports(cpuLib, "_ZN4c10d16ProcessGroupGlooC1");
  const nccl =
    store &&
    cuda &&
    c10dHeader("ProcessGroupNCCL.hpp") &&
    header("nccl.h") &&
    header("cuda_runtime.h") &&
    [join(libDir, "libtorch_cuda.so"), cpuLib].some((l) => exports(l, "_ZN4c10d16ProcessGroupNCCLC1"));
  return { gloo, nccl, includeDirs: [...extraDirs] };
}

const backends = c10dBackends(found.includeDirs, found.libDir);
const distributedDefines = [
  ...(backends.gloo ? ["LATENTR3_WITH_GLOO=1", "USE_C10D_GLOO"] : []),
  ...(backends.nccl ? ["LATENTR3_WITH_NCCL=1", "USE_C10D_NCCL"] : []),
];
const backendNames = [backends.gloo && "gloo", backends.nccl && "nccl"].filter(Boolean);

const gypi = {
  variables: { libtorch_version: version, libtorch_cuda: cuda ? 1 : 0 },
  target_defaults: {
    include_dirs: [...found.includeDirs, ...(backendNames.length > 0 ? backends.includeDirs : [])],
    defines: [`_GLIBCXX_USE_CXX11_ABI=${abi}`, ...(cuda ? ["LATENTR3_WITH_CUDA=1"] : []), ...distributedDefines],
    libraries,
  },
};
writeFileSync(join(here, "libtorch.gypi"), JSON.stringify(gypi, null, 2) + "\n");
writeFileSync(
  join(here, "libtorch.json"),
  JSON.stringify(
    { version, cuda, abi, source: found.source, libDir: found.libDir, distributed: backendNames },
    null,
    2,
  ) + "\n",
);
console.log(
  `libtorch ${version} (CUDA ${cuda ? "yes" : "no"}, C++11 ABI ${abi}, c10d backends: ` +
    `${backendNames.join(", ") || "none"}) from ${found.source}`,
);
if (!backends.gloo) {
  console.log("configure: no Gloo process group (multi-process training on CPU); Debian: apt-get install libgloo-dev");
}
