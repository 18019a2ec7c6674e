// torch.distributed's c10d process groups exposed to JS: rendezvous through a TCPStore (as torchrun's
// env:// init does), then Gloo (CPU) or NCCL (CUDA) collectives. Every collective blocks until done
// and throws a JS Error naming the op, this rank and the backend when it fails or times out, so a
// dead peer ends the job instead of hanging it.
//
// configure.mjs sets LATENTR3_WITH_GLOO / LATENTR3_WITH_NCCL only when the libtorch found has the
// headers and symbols; without them these ops still exist and report that no backend is built.
#include "common.h"

#if defined(LATENTR3_WITH_GLOO) || defined(LATENTR3_WITH_NCCL)
#define LATENTR3_WITH_C10D 1
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef LATENTR3_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef LATENTR3_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdlib>
#include <sstream>

namespace lr3 {
namespace {

std::vector<std::string> builtBackends() {
  std::vector<std::string> out;
#ifdef LATENTR3_WITH_GLOO
  out.push_back("gloo");
#endif
#ifdef LATENTR3_WITH_NCCL
  out.push_back("nccl");
#endif
  return out;
}

Napi::Value backendList(Napi::Env env) {
  auto names = builtBackends();
  auto arr = Napi::Array::New(env, names.size());
  for (size_t i = 0; i < names.size(); i++) arr.Set(i, names[i]);
  return arr;
}

#ifdef LATENTR3_WITH_C10D

// libtorch 2.x runs collectives on a c10d::Backend (ProcessGroup became a dispatching wrapper);
// 1.x backends derive from ProcessGroup directly. Both have the same collective signatures.
#if TORCH_VERSION_MAJOR >= 2
using Collectives = c10d::Backend;
#else
using Collectives = c10d::ProcessGroup;
#endif

struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<Collectives> pg;
  std::string backend;
  int rank = 0;
  int size = 1;
  int64_t timeoutMs = 0;
};

const napi_type_tag kGroupTag = {0x6c61746e74723374ULL, 0x50726f6347727031ULL};

std::string firstLine(const std::string& s) {
  auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

Group& groupArg(const Args& a, size_t i) {
  Napi::Value v = a.raw(i);
  if (!v.IsExternal() || !v.As<Napi::External<Group>>().CheckTypeTag(&kGroupTag)) {
    a.fail("argument " + std::to_string(i) + " is not a process group");
  }
  Group* g = v.As<Napi::External<Group>>().Data();
  if (!g->pg) a.fail("the process group was destroyed");
  return *g;
}

// The message a user needs when a collective fails: which op, on which rank, and the likely cause.
[[noreturn]] void collectiveFailed(const Args& a, const Group& g, const char* op, const std::string& why) {
  std::ostringstream os;
  os << op << " failed on rank " << g.rank << " of " << g.size << " (" << g.backend << ", timeout " << g.timeoutMs
     << " ms): " << firstLine(why)
     << " (another rank died, stopped calling collectives, or took longer than the timeout)";
  throw Napi::Error::New(a.env(), os.str());
}

template <typename F>
void runCollective(const Args& a, Group& g, const char* op, F start) {
  try {
    c10::intrusive_ptr<c10d::Work> work = start();
    work->wait();
  } catch (const c10::Error& e) {
    collectiveFailed(a, g, op, e.what_without_backtrace());
  } catch (const std::exception& e) {
    collectiveFailed(a, g, op, e.what());
  }
}

bool isLoopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

#ifdef LATENTR3_WITH_GLOO
// Which network interface Gloo binds: GLOO_SOCKET_IFNAME as torch.distributed reads it; loopback when
// the master is on this host by loopback (every rank is local then); else the address this host's
// name resolves to.
std::shared_ptr<::gloo::transport::Device> glooDevice(const std::string& masterAddr) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  }
  if (isLoopback(masterAddr)) return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}
#endif

// dist_init(backend, rank, worldSize, masterAddr, masterPort, timeoutMs) -> group
Napi::Value init(const Args& a) {
  const std::string backend = a.str(0);
  const int64_t rank = a.i64(1), size = a.i64(2);
  const std::string addr = a.str(3);
  const int64_t port = a.i64(4), timeoutMs = a.i64(5);
  if (size < 1) a.fail("world size must be >= 1, got " + std::to_string(size));
  if (rank < 0 || rank >= size) a.fail("rank must be in [0, " + std::to_string(size) + "), got " + std::to_string(rank));
  if (port < 1 || port > 65535) a.fail("master port must be in [1, 65535], got " + std::to_string(port));
  if (timeoutMs < 1) a.fail("timeout must be >= 1 ms, got " + std::to_string(timeoutMs));

  auto group = std::make_unique<Group>();
  group->backend = backend;
  group->rank = static_cast<int>(rank);
  group->size = static_cast<int>(size);
  group->timeoutMs = timeoutMs;
  const std::chrono::milliseconds timeout(timeoutMs);
  const std::string where = "rank " + std::to_string(rank) + " of " + std::to_string(size);

  try {
    c10d::TCPStoreOptions opts;
    opts.port = static_cast<std::uint16_t>(port);
    opts.isServer = rank == 0;
    opts.numWorkers = static_cast<std::size_t>(size);
    opts.waitWorkers = true;
    opts.timeout = timeout;
    group->store = c10::make_intrusive<c10d::TCPStore>(addr, opts);
  } catch (const std::exception& e) {
    a.fail(where + " could not " + (rank == 0 ? "host" : "reach") + " the rendezvous store at " + addr + ":" +
           std::to_string(port) + " within " + std::to_string(timeoutMs) + " ms: " + firstLine(e.what()));
  }

  try {
    if (backend == "gloo") {
#ifdef LATENTR3_WITH_GLOO
      auto options = c10d::ProcessGroupGloo::Options::create(timeout);
      options->devices.push_back(glooDevice(addr));
      group->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(group->store, group->rank, group->size, options);
#endif
    } else if (backend == "nccl") {
#ifdef LATENTR3_WITH_NCCL
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = timeout;
      group->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(group->store, group->rank, group->size, options);
#endif
    }
  } catch (const std::exception& e) {
    a.fail(where + " could not form the " + backend + " process group within " + std::to_string(timeoutMs) +
           " ms (did all " + std::to_string(size) + " ranks start?): " + firstLine(e.what()));
  }
  if (!group->pg) {
    auto names = builtBackends();
    std::string list;
    for (auto& n : names) list += (list.empty() ? "" : ", ") + n;
    a.fail("backend \"" + backend + "\" is not built into this addon (built: " + list + ")");
  }

  auto ext = Napi::External<Group>::New(a.env(), group.release(), [](Napi::Env, Group* g) { delete g; });
  ext.TypeTag(&kGroupTag);
  return ext;
}

// Elements per bucket: the gradients are summed in a few large collectives (one per dtype and
// device, split at this size as DDP's 25 MB buckets are) rather than one per parameter.
constexpr int64_t kBucketElements = 16 * 1024 * 1024;

// Sums each tensor over ranks, in place, bucketed by dtype and device up to kBucketElements.
void sumInPlace(const Args& a, Group& g, const std::vector<at::Tensor>& ts) {
  at::NoGradGuard noGrad;  // writing results into leaves (gradients, parameters) is not a graph op
  std::vector<bool> done(ts.size(), false);
  for (size_t first = 0; first < ts.size(); first++) {
    if (done[first]) continue;
    std::vector<size_t> members;
    int64_t elements = 0;
    for (size_t i = first; i < ts.size(); i++) {
      if (done[i] || ts[i].scalar_type() != ts[first].scalar_type() || ts[i].device() != ts[first].device()) continue;
      if (!members.empty() && elements + ts[i].numel() > kBucketElements) break;
      members.push_back(i);
      elements += ts[i].numel();
      done[i] = true;
    }
    std::vector<at::Tensor> flat;
    for (size_t i : members) flat.push_back(ts[i].reshape({-1}));
    std::vector<at::Tensor> bucket{at::cat(flat)};
    runCollective(a, g, "all_reduce", [&] { return g.pg->allreduce(bucket); });
    int64_t offset = 0;
    for (size_t i : members) {
      const int64_t n = ts[i].numel();
      ts[i].copy_(bucket[0].narrow(0, offset, n).view(ts[i].sizes()));
      offset += n;
    }
  }
}

// dist_all_reduce(group, tensors[]) sums each tensor over ranks, in place.
Napi::Value allReduce(const Args& a) {
  Group& g = groupArg(a, 0);
  sumInPlace(a, g, a.tensors(1));
  return a.env().Undefined();
}

// dist_all_reduce_grads(group, params[]) sums the parameters' gradients over ranks, in place. A
// parameter with no gradient here (this rank saw no example that reaches it) joins with zeros when
// another rank has one; a parameter with no gradient on any rank keeps none, so the optimizer skips
// it exactly as a single process would.
Napi::Value allReduceGrads(const Args& a) {
  Group& g = groupArg(a, 0);
  std::vector<at::Tensor> params = a.tensors(1);
  if (params.empty()) return a.env().Undefined();
  at::NoGradGuard noGrad;
  auto present = at::zeros({static_cast<int64_t>(params.size())}, at::kFloat);
  auto flags = present.accessor<float, 1>();
  for (size_t i = 0; i < params.size(); i++) flags[i] = params[i].grad().defined() ? 1.f : 0.f;
  std::vector<at::Tensor> presence{present.to(params[0].device())};
  runCollective(a, g, "all_reduce (gradient presence)", [&] { return g.pg->allreduce(presence); });
  auto anywhere = presence[0].to(at::kCPU);
  auto any = anywhere.accessor<float, 1>();
  std::vector<at::Tensor> grads;
  for (size_t i = 0; i < params.size(); i++) {
    if (any[i] == 0.f) continue;
    if (!params[i].grad().defined()) params[i].mutable_grad() = at::zeros_like(params[i]);
    grads.push_back(params[i].grad());
  }
  sumInPlace(a, g, grads);
  return a.env().Undefined();
}

// dist_all_gather(group, tensor) -> one tensor per rank (every rank's input has the same shape).
Napi::Value allGather(const Args& a) {
  Group& g = groupArg(a, 0);
  std::vector<at::Tensor> input{a.t(1).contiguous()};
  std::vector<std::vector<at::Tensor>> output(1);
  for (int r = 0; r < g.size; r++) output[0].push_back(at::empty_like(input[0]));
  runCollective(a, g, "all_gather", [&] { return g.pg->allgather(output, input); });
  return wrapList(a.env(), output[0]);
}

// dist_broadcast(group, tensors[], root) overwrites each tensor with root's, in place.
Napi::Value broadcast(const Args& a) {
  Group& g = groupArg(a, 0);
  std::vector<at::Tensor> ts = a.tensors(1);
  const int64_t root = a.i64(2);
  if (root < 0 || root >= g.size) a.fail("root must be in [0, " + std::to_string(g.size) + "), got " + std::to_string(root));
  at::NoGradGuard noGrad;
  for (auto& t : ts) {
    std::vector<at::Tensor> one{t.is_contiguous() ? t : t.contiguous()};
    c10d::BroadcastOptions opts;
    opts.rootRank = root;
    runCollective(a, g, "broadcast", [&] { return g.pg->broadcast(one, opts); });
    if (!one[0].is_same(t)) t.copy_(one[0]);
  }
  return a.env().Undefined();
}

Napi::Value barrier(const Args& a) {
  Group& g = groupArg(a, 0);
  runCollective(a, g, "barrier", [&] { return g.pg->barrier(); });
  return a.env().Undefined();
}

// Drops the backend's threads and sockets now instead of at garbage collection.
Napi::Value destroy(const Args& a) {
  Napi::Value v = a.raw(0);
  if (!v.IsExternal() || !v.As<Napi::External<Group>>().CheckTypeTag(&kGroupTag)) a.fail("argument 0 is not a process group");
  Group* g = v.As<Napi::External<Group>>().Data();
  g->pg.reset();
  g->store.reset();
  return a.env().Undefined();
}

#else  // no c10d in this libtorch

[[noreturn]] Napi::Value unavailable(const Args& a) {
  a.fail("this addon was built against a libtorch without c10d process groups (no Gloo or NCCL); "
         "rebuild against a libtorch that has them (Debian: apt-get install libgloo-dev; or a PyTorch install)");
}
Napi::Value init(const Args& a) { unavailable(a); }
Napi::Value allReduce(const Args& a) { unavailable(a); }
Napi::Value allReduceGrads(const Args& a) { unavailable(a); }
Napi::Value allGather(const Args& a) { unavailable(a); }
Napi::Value broadcast(const Args& a) { unavailable(a); }
Napi::Value barrier(const Args& a) { unavailable(a); }
Napi::Value destroy(const Args& a) { unavailable(a); }

#endif

const OpRegistrar table({
    {"dist_backends", [](const Args& a) { return backendList(a.env()); }},
    {"dist_init", init},
    {"dist_all_reduce", allReduce},
    {"dist_all_reduce_grads", allReduceGrads},
    {"dist_all_gather", allGather},
    {"dist_broadcast", broadcast},
    {"dist_barrier", barrier},
    {"dist_destroy", destroy},
});

}  // namespace
}  // namespace lr3
