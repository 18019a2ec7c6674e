// Gradient checkpointing and autocast: the two pieces of mixed-precision, memory-lean training that
// need libtorch's thread-local state or its autograd engine.
//
// checkpoint(fn, inputs, constants, params) runs fn(inputs, constants) with gradients off, so no
// activation inside fn is kept, and returns its outputs as the outputs of one autograd node. When
// backward reaches that node it calls fn again (gradients on, the forward's RNG and autocast state
// restored) and back-propagates through the recomputed graph into the inputs and params. This is
// PyTorch's reentrant `torch.utils.checkpoint` with the forward written in JS.
//
// fn is JavaScript, and JavaScript runs on the main thread only, while libtorch runs backward nodes
// on its engine threads (the CUDA device thread for CUDA tensors). So while any checkpoint node is
// alive, `backward` runs the engine on a helper thread and the main thread waits in a loop serving
// recompute requests: the node posts "run fn on these inputs" and blocks until the main thread has
// run it. The inner backward through the recomputed graph stays on the engine's thread, as libtorch
// requires for reentrant backward.
#include <ATen/autocast_mode.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "common.h"

namespace lr3 {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// ---- the JS side: callbacks by id, touched on the main thread only ----------------------------
std::thread::id jsThread;
napi_env jsEnv = nullptr;
std::unordered_map<int64_t, Napi::FunctionReference> callbacks;
int64_t nextId = 1;

// Ids of callbacks whose node has died (on any thread); the main thread deletes them.
std::mutex releasedMutex;
std::vector<int64_t> released;
std::atomic<int64_t> liveNodes{0};

void dropReleasedCallbacks() {
  std::vector<int64_t> ids;
  {
    std::lock_guard<std::mutex> lock(releasedMutex);
    ids.swap(released);
  }
  for (auto id : ids) callbacks.erase(id);
}

// ---- autocast state (thread-local in libtorch) ------------------------------------------------
struct AutocastState {
  bool cpu = false;
  at::ScalarType cpuDtype = at::kBFloat16;
  bool cuda = false;
  at::ScalarType cudaDtype = at::kHalf;
};

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
AutocastState autocastState() {
  return {at::autocast::is_autocast_enabled(at::kCPU), at::autocast::get_autocast_dtype(at::kCPU),
          at::autocast::is_autocast_enabled(at::kCUDA), at::autocast::get_autocast_dtype(at::kCUDA)};
}
void setAutocastState(const AutocastState& s) {
  at::autocast::set_autocast_enabled(at::kCPU, s.cpu);
  at::autocast::set_autocast_dtype(at::kCPU, s.cpuDtype);
  at::autocast::set_autocast_enabled(at::kCUDA, s.cuda);
  at::autocast::set_autocast_dtype(at::kCUDA, s.cudaDtype);
}
#else
AutocastState autocastState() {
  return {at::autocast::is_cpu_enabled(), at::autocast::get_autocast_cpu_dtype(), at::autocast::is_enabled(),
          at::autocast::get_autocast_gpu_dtype()};
}
void setAutocastState(const AutocastState& s) {
  at::autocast::set_cpu_enabled(s.cpu);
  at::autocast::set_autocast_cpu_dtype(s.cpuDtype);
  at::autocast::set_enabled(s.cuda);
  at::autocast::set_autocast_gpu_dtype(s.cudaDtype);
}
#endif

// ---- RNG state (so dropout inside fn draws the same mask when recomputed) ----------------------
struct RngState {
  std::vector<std::pair<at::Generator, at::Tensor>> states;

  static RngState capture(const std::vector<at::Tensor>& inputs) {
    RngState s;
    s.add(at::detail::getDefaultCPUGenerator());
    for (const auto& t : inputs) {
      if (t.is_cuda()) {
        s.add(at::globalContext().defaultGenerator(t.device()));
        break;
      }
    }
    return s;
  }
  void add(at::Generator g) {
    std::lock_guard<std::mutex> lock(g.mutex());
    states.emplace_back(g, g.get_state());
  }
  void restore() const {
    for (const auto& [g, state] : states) {
      auto gen = g;
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(state);
    }
  }
};

// What a checkpoint node keeps: the callback's id, the non-differentiable constants fn reads, and
// the thread-local state of the forward. Freed with the node, on whichever thread that happens.
struct Token : torch::CustomClassHolder {
  int64_t id;
  size_t numInputs;
  std::vector<at::Tensor> constants;
  AutocastState autocast;
  RngState rng;
  Token(int64_t id, size_t numInputs, std::vector<at::Tensor> constants, AutocastState autocast, RngState rng)
      : id(id), numInputs(numInputs), constants(std::move(constants)), autocast(autocast), rng(std::move(rng)) {
    liveNodes++;
  }
  ~Token() override {
    liveNodes--;
    std::lock_guard<std::mutex> lock(releasedMutex);
    released.push_back(id);
  }
};

// Calls the JS function on the main thread: fn(inputs, constants) → output handles (kept tensors
// whose boxes are emptied here, so the JS wrappers own nothing afterwards).
std::vector<at::Tensor> callJs(const Token& token, const std::vector<at::Tensor>& inputs) {
  Napi::Env env(jsEnv);
  Napi::HandleScope scope(env);
  auto it = callbacks.find(token.id);
  if (it == callbacks.end()) throw std::runtime_error("checkpoint: the recompute function was already released");
  Napi::Value result = it->second.Call({wrapList(env, inputs), wrapList(env, token.constants)});
  if (!result.IsArray()) throw std::runtime_error("checkpoint: the function must return an array of tensors");
  auto arr = result.As<Napi::Array>();
  std::vector<at::Tensor> outs;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    at::Tensor* box = tensorBox(arr.Get(i));
    if (!box || !box->defined()) {
      throw std::runtime_error("checkpoint: output " + std::to_string(i) + " is not a live tensor");
    }
    outs.push_back(*box);
    releaseTensor(box);
  }
  return outs;
}

// Recompute with the forward's thread-local state, restoring the caller's afterwards.
std::vector<at::Tensor> recomputeOnJsThread(const Token& token, const std::vector<at::Tensor>& inputs) {
  const AutocastState callerAutocast = autocastState();
  const RngState callerRng = RngState::capture(inputs);
  token.rng.restore();
  setAutocastState(token.autocast);
  try {
    at::AutoGradMode grad(true);
    auto outs = callJs(token, inputs);
    setAutocastState(callerAutocast);
    callerRng.restore();
    return outs;
  } catch (...) {
    setAutocastState(callerAutocast);
    callerRng.restore();
    throw;
  }
}

// ---- the recompute pump: engine threads ask, the main thread runs JS ---------------------------
struct Request {
  const Token* token;
  const std::vector<at::Tensor>* inputs;
  std::vector<at::Tensor> outputs;
  std::string error;
  bool done = false;
};
std::mutex pumpMutex;
std::condition_variable pumpCv;
std::deque<Request*> requests;
bool pumping = false;

std::vector<at::Tensor> recompute(const Token& token, const std::vector<at::Tensor>& inputs) {
  if (std::this_thread::get_id() == jsThread) return recomputeOnJsThread(token, inputs);
  Request req{&token, &inputs, {}, {}, false};
  std::unique_lock<std::mutex> lock(pumpMutex);
  if (!pumping) throw std::runtime_error("checkpoint: backward reached a checkpoint outside `backward` (no pump)");
  requests.push_back(&req);
  pumpCv.notify_all();
  pumpCv.wait(lock, [&] { return req.done; });
  if (!req.error.empty()) throw std::runtime_error(req.error);
  return std::move(req.outputs);
}

struct CheckpointFn : public torch::autograd::Function<CheckpointFn> {
  static variable_list forward(AutogradContext* ctx, at::TensorList vars, c10::intrusive_ptr<Token> token) {
    std::vector<at::Tensor> inputs(vars.begin(), vars.begin() + static_cast<int64_t>(token->numInputs));
    auto outs = callJs(*token, inputs);
    // A view of a tensor made without grad cannot carry this node's history cleanly: copy it.
    for (auto& o : outs)
      if (o.is_view()) o = o.clone();
    ctx->save_for_backward(vars.vec());
    ctx->saved_data["token"] = c10::IValue::make_capsule(token);
    return outs;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto token = c10::static_intrusive_pointer_cast<Token>(ctx->saved_data["token"].toCapsule());
    auto vars = ctx->get_saved_variables();
    const size_t n = token->numInputs;
    std::vector<at::Tensor> inputs;
    for (size_t i = 0; i < n; i++) inputs.push_back(vars[i].detach().requires_grad_(vars[i].requires_grad()));
    auto outs = recompute(*token, inputs);
    if (outs.size() != grads.size()) {
      throw std::runtime_error("checkpoint: the recompute returned " + std::to_string(outs.size()) +
                               " outputs but the forward returned " + std::to_string(grads.size()));
    }
    variable_list roots, rootGrads;
    for (size_t i = 0; i < outs.size(); i++) {
      if (grads[i].defined() && outs[i].requires_grad()) {
        roots.push_back(outs[i]);
        rootGrads.push_back(grads[i]);
      }
    }
    variable_list targets;
    std::vector<size_t> targetIndex;
    for (size_t i = 0; i < vars.size(); i++) {
      const at::Tensor& t = i < n ? inputs[i] : vars[i];
      if (t.requires_grad()) {
        targets.push_back(t);
        targetIndex.push_back(i);
      }
    }
    variable_list result(vars.size() + 1);  // + the token argument, which has no gradient
    if (roots.empty() || targets.empty()) return result;
    auto g = torch::autograd::grad(roots, targets, rootGrads, false, false, /*allow_unused=*/true);
    for (size_t k = 0; k < targets.size(); k++) result[targetIndex[k]] = g[k];
    return result;
  }
};

// checkpoint(fn, inputs[], constants[], params[]) → outputs[]
Napi::Value checkpoint(const Args& a) {
  if (jsEnv == nullptr) {
    jsEnv = a.env();
    jsThread = std::this_thread::get_id();
  }
  dropReleasedCallbacks();
  if (!a.raw(0).IsFunction()) a.fail("argument 0 must be the layer function");
  auto inputs = a.tensors(1);
  auto constants = a.tensors(2);
  auto params = a.tensors(3);
  const int64_t id = nextId++;
  callbacks.emplace(id, Napi::Persistent(a.raw(0).As<Napi::Function>()));
  auto token = c10::make_intrusive<Token>(id, inputs.size(), constants, autocastState(), RngState::capture(inputs));
  std::vector<at::Tensor> vars(inputs);
  vars.insert(vars.end(), params.begin(), params.end());
  auto outs = CheckpointFn::apply(at::TensorList(vars), token);
  return wrapList(a.env(), outs);
}

// autocast(device, enabled, dtype, entering) → the previous {enabled, dtype} for that device. JS
// calls it on entering a region (entering = true) and again to restore the previous state on leaving
// it; leaving the outermost region clears the cast cache, as torch.autocast does on exit.
Napi::Value autocast(const Args& a) {
  const std::string device = a.str(0);
  if (device != "cpu" && device != "cuda") a.fail("device must be \"cpu\" or \"cuda\", got \"" + device + "\"");
  AutocastState s = autocastState();
  auto previous = Napi::Object::New(a.env());
  const bool cpu = device == "cpu";
  previous.Set("enabled", cpu ? s.cpu : s.cuda);
  previous.Set("dtype", dtypeName(cpu ? s.cpuDtype : s.cudaDtype));
  const bool enable = a.b(1);
  const at::ScalarType dtype = a.dtype(2, at::kBFloat16);
  if (dtype != at::kBFloat16 && dtype != at::kHalf) a.fail("autocast dtype must be bf16 or f16");
  (cpu ? s.cpu : s.cuda) = enable;
  (cpu ? s.cpuDtype : s.cudaDtype) = dtype;
  if (a.b(3)) {
    at::autocast::increment_nesting();
  } else if (at::autocast::decrement_nesting() == 0) {
    at::autocast::clear_cache();
  }
  setAutocastState(s);
  return previous;
}

const OpRegistrar table({
    {"checkpoint", checkpoint},
    {"checkpoint_live_nodes",
     [](const Args& a) {
       dropReleasedCallbacks();
       return Napi::Number::New(a.env(), static_cast<double>(liveNodes.load()));
     }},
    {"autocast", autocast},
});

}  // namespace

void runBackward(const std::function<void()>& work) {
  if (liveNodes.load() == 0 || jsEnv == nullptr) {
    work();
    return;
  }
  std::exception_ptr error;
  bool finished = false;
  {
    std::lock_guard<std::mutex> lock(pumpMutex);
    pumping = true;
  }
  std::thread engine([&] {
    try {
      work();
    } catch (...) {
      error = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(pumpMutex);
    finished = true;
    pumpCv.notify_all();
  });
  std::unique_lock<std::mutex> lock(pumpMutex);
  while (true) {
    pumpCv.wait(lock, [&] { return finished || !requests.empty(); });
    if (!requests.empty()) {
      Request* req = requests.front();
      requests.pop_front();
      lock.unlock();
      std::string failure;
      std::vector<at::Tensor> outs;
      try {
        outs = recomputeOnJsThread(*req->token, *req->inputs);
      } catch (const std::exception& e) {
        failure = std::string("checkpoint recompute failed: ") + e.what();
      }
      lock.lock();
      req->outputs = std::move(outs);
      req->error = failure;
      req->done = true;
      pumpCv.notify_all();
      continue;
    }
    if (finished) break;
  }
  pumping = false;
  lock.unlock();
  engine.join();
  dropReleasedCallbacks();
  if (error) std::rethrow_exception(error);
}

}  // namespace lr3
