// glibc malloc thresholds for tensor buffers (allocator.cc).
#pragma once

#include <string>

namespace lr3 {

struct AllocatorSettings {
  std::string allocator;  // "glibc", or "system" where the C library is another
  bool tuned = false;     // whether the addon set the thresholds below
  double mmapThreshold = 0;
  double trimThreshold = 0;
  std::string reason;  // why it was left alone, when not tuned
};

// Called once when the addon loads, before any tensor exists.
AllocatorSettings tuneAllocator();

}  // namespace lr3
