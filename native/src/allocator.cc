// The CPU allocator for tensor storage, installed once when the addon loads.
//
// glibc serves large blocks with a fresh mmap and unmaps them on free, and returns free memory at
// the top of its heap to the kernel. A training step allocates and frees the same activations and
// gradients every step, so each of them came back as new zero-filled pages: one minor page fault per
// 4 KiB, every step (bench/README.md, "Allocator"). Raising glibc's mmap and trim thresholds instead
// keeps every block in glibc's heap, but peak RSS of `latentr3 demo --quick` then rose from 753 to
// 1022 MB: the heap keeps whatever it grew to.
//
// So large blocks (kMinCached and up) are mapped here and kept when freed, for the next request that
// fits: the smallest cached block of at least the requested size and at most twice it (pages past the
// request are never touched, so a larger block costs address space, not memory). A repeated step's
// allocations become reuse. Cached blocks go back to the kernel, least recently freed first, once
// kIdle further large requests have gone by without taking them, whenever more than kCap is cached,
// and whenever a new mapping would lift everything mapped (in use + cached) above the peak of the
// bytes in use so far plus a quarter. Without that last bound, a process that runs several stages
// (the demo: pretraining, SFT, evaluations, RL, each with its own sizes) kept one stage's blocks while
// the next stage peaked, and its peak RSS ended above glibc's (bench/README.md, "Allocator"). A
// repeated step is unaffected: its blocks are all in use at its peak, so they fit under the bound.
// Idleness is counted in requests, not seconds: a step that takes longer than any fixed time
// (a slow or busy machine, a larger model) must still find its blocks (with a 10 s limit, 72 s steps
// on a loaded machine took 66k faults per step).
//
// `releaseCachedBlocks` gives every cached block back at once (a process moving to other work).
//
// Tried and dropped: exact size classes, unmapping idle blocks whenever a request found none of its
// class. With a training step's mix of sizes that thrashed (36k–108k faults per step in
// bench/engine/qwen2-step.ts, against 2–16k with glibc's defaults). Small blocks stay with malloc.
//
// Fastbins are switched off as well: every op frees a few small blocks (tensor and handle records)
// and then asks for a larger one, and glibc merges all fastbin blocks before serving such a request.
// That merge was a sixth of a small op's time (bench/README.md, "Dispatch"); the per-thread cache in
// front of the bins keeps small frees fast without it.
#include "allocator.h"

#include <c10/core/CPUAllocator.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <list>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace lr3 {
namespace {

constexpr size_t kMinCached = size_t{128} << 10;  // glibc's own initial mmap threshold
constexpr size_t kPage = 4096;
constexpr size_t kAlignment = 64;  // ATen's alignment of tensor data
constexpr int kMaxFast = 0;  // M_MXFAST: no fastbins
constexpr uint64_t kIdle = 4096;  // large requests; a step of the 6 M-parameter benchmark makes ≈ 500
constexpr size_t kCap = size_t{1} << 30;
constexpr size_t kSlackDivisor = 4;  // mapped bytes may exceed the peak in use by a quarter

size_t pageRound(size_t bytes) { return (bytes + kPage - 1) / kPage * kPage; }

struct Block {
  void* base;
  size_t size;
  uint64_t freed;  // value of requests_ when it was cached
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
    void* base = take(pageRound(n));
    return {base, base, &freeLarge, c10::Device(c10::kCPU)};
  }

  // Unmaps every cached block (the memory in use stays); returns the bytes given back.
  size_t release() const {
    std::lock_guard<std::mutex> lock(mutex_);
    size_t released = 0;
    while (!lru_.empty()) released += unmapOldest();
    return released;
  }

  // Bytes held in cached (free) blocks.
  size_t cached() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return cached_;
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

  // The smallest cached block that fits (at most twice the size), else a new mapping.
  void* take(size_t size) const {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_++;
    auto fit = bySize_.lower_bound(size);
    if (fit != bySize_.end() && fit->first <= 2 * size) {
      auto block = fit->second;
      bySize_.erase(fit);
      void* base = block->base;
      cached_ -= block->size;
      lru_.erase(block);
      notePeak();
      return base;
    }
    expire();
    const size_t bound = std::max(peakInUse_, mapped_ - cached_ + size);
    const size_t limit = bound + bound / kSlackDivisor;
    while (!lru_.empty() && mapped_ + size > limit) unmapOldest();
    void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) throw std::bad_alloc();
    sizes_[base] = size;
    mapped_ += size;
    notePeak();
    return base;
  }

  // Caches a block of ours; false when `base` is not one (a small block from malloc).
  bool give(void* base) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto known = sizes_.find(base);
    if (known == sizes_.end()) return false;
    const size_t size = known->second;
    lru_.push_front({base, size, requests_});
    bySize_.emplace(size, lru_.begin());
    cached_ += size;
    expire();
    return true;
  }

  // Unmaps blocks idle for kIdle requests, then the oldest while over kCap. Caller holds mutex_.
  void expire() const {
    while (!lru_.empty() && requests_ - lru_.back().freed >= kIdle) unmapOldest();
    while (cached_ > kCap) unmapOldest();
  }

  void notePeak() const { peakInUse_ = std::max(peakInUse_, mapped_ - cached_); }

  // Unmaps the least recently freed cached block; returns its size. Caller holds mutex_, cache not empty.
  size_t unmapOldest() const {
    auto oldest = std::prev(lru_.end());
    for (auto [it, end] = bySize_.equal_range(oldest->size); it != end; ++it) {
      if (it->second == oldest) {
        bySize_.erase(it);
        break;
      }
    }
    const size_t size = oldest->size;
    munmap(oldest->base, size);
    sizes_.erase(oldest->base);
    cached_ -= size;
    mapped_ -= size;
    lru_.erase(oldest);
    return size;
  }

  mutable std::mutex mutex_;
  mutable std::list<Block> lru_;  // most recently freed first
  mutable std::multimap<size_t, std::list<Block>::iterator> bySize_;  // cached blocks by size
  mutable std::unordered_map<void*, size_t> sizes_;  // every mapped block, cached or in use
  mutable size_t cached_ = 0;
  mutable size_t mapped_ = 0;  // every block we mapped, cached or in use
  mutable size_t peakInUse_ = 0;  // most bytes in use (mapped − cached) at any one time
  mutable uint64_t requests_ = 0;  // large requests so far
};

}  // namespace

size_t releaseCachedBlocks() { return CachingCpuAllocator::instance().release(); }

size_t cachedBytes() { return CachingCpuAllocator::instance().cached(); }

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
