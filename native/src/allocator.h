// The CPU allocator of tensor storage (allocator.cc).
#pragma once

#include <string>

namespace lr3 {

struct AllocatorSettings {
  bool caching = false;  // whether large blocks go through the addon's caching allocator
  double minCached = 0;  // smallest block size it handles (smaller ones: malloc)
  double maxFast = -1;   // glibc M_MXFAST the addon set; -1 = left alone
  std::string reason;    // why the addon left the allocator alone
};

// Called once when the addon loads, before any tensor exists.
AllocatorSettings tuneAllocator();

}  // namespace lr3
