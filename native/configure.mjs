#!/usr/bin/env node
/**
 * Locates libtorch and writes `native/libtorch.gypi` for node-gyp.
 *
 * Search order (first hit wins):
 *   1. $LIBTORCH: a folder with include/ and lib/ (an unpacked libtorch zip, or a pip torch folder)
 *   2. the `torch` package of an installed Python (python3, then /usr/bin/python3), if it ships headers
 *   3. Debian's libtorch-dev paths (/usr/include/torch, /usr/lib/<triplet>)
 * Prints one line saying which libtorch was used (version, CUDA yes/no).
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

const gypi = {
  variables: { libtorch_version: version, libtorch_cuda: cuda ? 1 : 0 },
  target_defaults: {
    include_dirs: found.includeDirs,
    defines: [`_GLIBCXX_USE_CXX11_ABI=${abi}`, ...(cuda ? ["LATENTR3_WITH_CUDA=1"] : [])],
    libraries,
  },
};
writeFileSync(join(here, "libtorch.gypi"), JSON.stringify(gypi, null, 2) + "\n");
writeFileSync(
  join(here, "libtorch.json"),
  JSON.stringify({ version, cuda, abi, source: found.source, libDir: found.libDir }, null, 2) + "\n",
);
console.log(`libtorch ${version} (CUDA ${cuda ? "yes" : "no"}, C++11 ABI ${abi}) from ${found.source}`);
