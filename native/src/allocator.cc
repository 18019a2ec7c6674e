// The CPU allocator for tensor storage, installed once when the addon loads.
//
// glibc serves large blocks with a fresh mmap and unmaps them on free, and returns free memory at
// the top of its heap to the kernel. A training step allocates and frees the same activations and
// gradients every step, so each of them came back as new zero-filled pages: one minor page fault per
// 4 KiB, every step (bench/README.md, "Allocator"). Raising glibc's thresholds instead keeps every
// block in the heap, but a growing KV cache then fragments it and peak RSS rose by a third in
// `latentr3 demo --quick`.
//
// So large blocks (kMinCached and up) are mapped here and kept when freed, by size class, for the next
// request of that class. A request that finds no block of its class first unmaps cached blocks (least
// recently freed first) worth at least its own size, so mapped memory never exceeds the largest amount
// the program itself had live at once: the cache turns a repeated step's allocations into reuse
// without raising the peak. Small blocks stay with malloc.
//
// Fastbins are switched off as well: every op frees a few small blocks (tensor and handle records)
// and then asks for a larger one, and glibc merges all fastbin blocks before serving such a request.
// That merge was a sixth of a small op's time (bench/README.md, "Dispatch"); the per-thread cache in
// front of the bins keeps small frees fast without it.
#include "allocator.h"

#include <c10/core/CPUAllocator.h>
#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <list>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace lr3 {
namespace {

constexpr size_t kMinCached = size_t{128} << 10;  // glibc's own initial mmap threshold
constexpr size_t kPage = 4096;
constexpr size_t kAlignment = 64;  // ATen's alignment of tensor data
constexpr int kMaxFast = 0;  // M_MXFAST: no fastbins

// Size classes: page counts rounded up to 4 significant bits (at most 12.5% more than asked, and
// pages past the request are never touched, so they cost address space, not memory).
size_t sizeClass(size_t bytes) {
  size_t pages = (bytes + kPage - 1) / kPage;
  if (pages > 16) {
    const int shift = 64 - __builtin_clzll(pages) - 4;
    const size_t step = size_t{1} << shift;
    pages = (pages + step - 1) & ~(step - 1);
  }
  return pages * kPage;
}

struct Block {
  void* base;
  size_t size;
};

class CachingCpuAllocator final : public c10::Allocator {
 public:
  c10::DataPtr allocate(size_t n) const override {
    if (n < kMinCached) {
      void* p = nullptr;
      if (n > 0 && posix_memalign(&p, kAlignment, n) != 0) throw std::bad_alloc();
      return {p, p, &freeSmall, c10::Device(c10::kCPU)};
    }
    // Data and context are the same pointer, as ATen's raw_allocate requires.
    void* base = take(sizeClass(n));
    return {base, base, &freeLarge, c10::Device(c10::kCPU)};
  }

  // For raw_allocate / raw_deallocate, which hand back only the pointer.
  c10::DeleterFnPtr raw_deleter() const override { return &freeAny; }

  // Never destroyed: tensors held by static objects are freed after static destructors have run.
  static CachingCpuAllocator& instance() {
    static auto* a = new CachingCpuAllocator();
    return *a;
  }

 private:
  static void freeSmall(void* p) { std::free(p); }
  static void freeLarge(void* base) { instance().give(base); }
  static void freeAny(void* p) {
    if (!instance().give(p)) std::free(p);
  }

  // A cached block of this class, else a new mapping after making room.
  void* take(size_t size) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = byClass_.find(size);
    if (it != byClass_.end() && !it->second.empty()) {
      auto block = it->second.back();
      it->second.pop_back();
      void* base = block->base;
      lru_.erase(block);
      cached_ -= size;
      return base;
    }
    evict(size);
    void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) throw std::bad_alloc();
    sizes_[base] = size;
    return base;
  }

  // Caches a block of ours; false when `base` is not one (a small block from malloc).
  bool give(void* base) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto known = sizes_.find(base);
    if (known == sizes_.end()) return false;
    const size_t size = known->second;
    lru_.push_front({base, size});
    byClass_[size].push_back(lru_.begin());
    cached_ += size;
    return true;
  }

  // Unmaps least recently freed blocks until `bytes` are released or nothing is cached. Caller holds mutex_.
  void evict(size_t bytes) const {
    size_t released = 0;
    while (released < bytes && !lru_.empty()) {
      auto oldest = std::prev(lru_.end());
      auto& same = byClass_[oldest->size];
      for (auto it = same.begin(); it != same.end(); ++it) {
        if (*it == oldest) {
          same.erase(it);
          break;
        }
      }
      munmap(oldest->base, oldest->size);
      sizes_.erase(oldest->base);
      released += oldest->size;
      cached_ -= oldest->size;
      lru_.erase(oldest);
    }
  }

  mutable std::mutex mutex_;
  mutable std::list<Block> lru_;  // most recently freed first
  mutable std::unordered_map<size_t, std::vector<std::list<Block>::iterator>> byClass_;
  mutable std::unordered_map<void*, size_t> sizes_;  // every mapped block, cached or in use
  mutable size_t cached_ = 0;
};

}  // namespace

AllocatorSettings tuneAllocator() {
  AllocatorSettings s;
  const char* mode = std::getenv("LATENTR3_MALLOC");
  if (mode != nullptr && std::strcmp(mode, "system") == 0) {
    s.reason = "LATENTR3_MALLOC=system";
    return s;
  }
  // Priority 1 outranks libtorch's default CPU allocator (registered at 0).
  c10::SetCPUAllocator(&CachingCpuAllocator::instance(), 1);
  s.caching = true;
  s.minCached = static_cast<double>(kMinCached);
#if defined(__GLIBC__)
  if (mallopt(M_MXFAST, kMaxFast) == 1) s.maxFast = kMaxFast;
#endif
  return s;
}

}  // namespace lr3
