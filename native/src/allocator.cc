// glibc malloc settings for tensor buffers, applied once when the addon loads.
//
// By default glibc serves blocks above its mmap threshold (128 KiB, raised on the fly up to 32 MiB)
// with a fresh mmap and unmaps them on free, and it returns free memory at the top of the heap to the
// kernel once more than the trim threshold is free. A training step allocates and frees the same
// large activations and gradients every step, so each of them came back as new zero-filled pages:
// 0.6–1 million minor page faults in `latentr3 demo --quick` (bench/README.md, "Allocator"). With
// both thresholds raised, a freed buffer stays mapped in the heap and the next step reuses it.
#include "allocator.h"

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace lr3 {
namespace {

// Blocks below this come from the heap (and are reused) instead of a private mmap per block.
constexpr size_t kMmapThreshold = size_t{256} << 20;
// Free memory at the top of the heap is returned to the kernel only above this.
constexpr size_t kTrimThreshold = size_t{1} << 30;

bool envSet(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0';
}

// glibc reads its own variables (MALLOC_*_ and the glibc.malloc tunables) at start-up; an explicit
// choice there wins over ours.
bool userChoseMalloc() {
  if (envSet("MALLOC_MMAP_THRESHOLD_") || envSet("MALLOC_TRIM_THRESHOLD_")) return true;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  return tunables != nullptr && std::strstr(tunables, "glibc.malloc.") != nullptr;
}

}  // namespace

AllocatorSettings tuneAllocator() {
  AllocatorSettings s;
#if defined(__GLIBC__)
  s.allocator = "glibc";
  const char* mode = std::getenv("LATENTR3_MALLOC");
  if (mode != nullptr && std::strcmp(mode, "system") == 0) {
    s.reason = "LATENTR3_MALLOC=system";
  } else if (userChoseMalloc()) {
    s.reason = "MALLOC_*/GLIBC_TUNABLES set in the environment";
  } else if (mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMmapThreshold)) == 1 &&
             mallopt(M_TRIM_THRESHOLD, static_cast<int>(kTrimThreshold)) == 1) {
    s.tuned = true;
    s.mmapThreshold = static_cast<double>(kMmapThreshold);
    s.trimThreshold = static_cast<double>(kTrimThreshold);
  } else {
    s.reason = "mallopt refused the thresholds";
  }
#else
  s.allocator = "system";
  s.reason = "not glibc";
#endif
  return s;
}

}  // namespace lr3
