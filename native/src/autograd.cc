// Tensor lifetime and data transfer, autograd, optimizers and runtime settings.
#include "common.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <sstream>
#include <type_traits>

namespace lr3 {
namespace {

#define T(i) a.t(i)
#define W(expr) wrap(a.env(), (expr))

// ---- data transfer ----------------------------------------------------------------------

Napi::Value fromBuffer(const Args& a) {
  Napi::Value v = a.raw(0);
  const uint8_t* data = nullptr;
  size_t bytes = 0;
  if (v.IsTypedArray()) {
    auto ta = v.As<Napi::TypedArray>();
    auto ab = ta.ArrayBuffer();
    data = static_cast<const uint8_t*>(ab.Data()) + ta.ByteOffset();
    bytes = ta.ByteLength();
  } else if (v.IsArrayBuffer()) {
    auto ab = v.As<Napi::ArrayBuffer>();
    data = static_cast<const uint8_t*>(ab.Data());
    bytes = ab.ByteLength();
  } else {
    a.fail("argument 0 must be a TypedArray, Buffer or ArrayBuffer");
  }
  auto shape = a.ints(2);
  auto dtype = a.dtype(1);
  auto t = at::empty(shape, at::TensorOptions().dtype(dtype));
  const size_t expected = static_cast<size_t>(t.numel()) * t.element_size();
  if (bytes != expected) {
    a.fail("got " + std::to_string(bytes) + " bytes, but a " + describeTensor(t) + " tensor needs " +
           std::to_string(expected));
  }
  if (bytes) std::memcpy(t.data_ptr(), data, bytes);
  auto dev = a.device(3);
  return W(dev.is_cpu() ? t : t.to(dev));
}

at::Tensor cpuContiguous(const at::Tensor& t) { return t.detach().to(c10::kCPU).contiguous(); }

Napi::Value toTypedArray(const Args& a) {
  auto t = cpuContiguous(T(0));
  const size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
  auto ab = Napi::ArrayBuffer::New(a.env(), bytes);
  if (bytes) std::memcpy(ab.Data(), t.data_ptr(), bytes);
  const size_t n = static_cast<size_t>(t.numel());
  switch (t.scalar_type()) {
    case at::kFloat: return Napi::Float32Array::New(a.env(), n, ab, 0);
    case at::kDouble: return Napi::Float64Array::New(a.env(), n, ab, 0);
    case at::kLong: return Napi::BigInt64Array::New(a.env(), n, ab, 0);
    case at::kInt: return Napi::Int32Array::New(a.env(), n, ab, 0);
    case at::kShort: return Napi::Int16Array::New(a.env(), n, ab, 0);
    case at::kChar: return Napi::Int8Array::New(a.env(), n, ab, 0);
    case at::kByte:
    case at::kBool: return Napi::Uint8Array::New(a.env(), n, ab, 0);
    case at::kHalf:
    case at::kBFloat16: return Napi::Uint16Array::New(a.env(), n, ab, 0);
    default: a.fail("unsupported dtype " + dtypeName(t.scalar_type()));
  }
}

Napi::Value toBytes(const Args& a) {
  auto t = cpuContiguous(T(0));
  const size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
  return Napi::Buffer<uint8_t>::Copy(a.env(), static_cast<const uint8_t*>(t.data_ptr()), bytes);
}

// Reads nbytes at offset of a file straight into a new tensor (safetensors streaming load).
Napi::Value readFile(const Args& a) {
  const std::string path = a.str(0);
  const int64_t offset = a.i64(1);
  if (offset < 0) a.fail("byte offset must be >= 0");
  auto t = at::empty(a.ints(3), at::TensorOptions().dtype(a.dtype(2)));
  const size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) a.fail("cannot open " + path + ": " + std::strerror(errno));
  size_t done = 0;
  auto* dst = static_cast<uint8_t*>(t.data_ptr());
  while (done < bytes) {
    ssize_t r = ::pread(fd, dst + done, bytes - done, offset + static_cast<int64_t>(done));
    if (r <= 0) {
      ::close(fd);
      a.fail("short read of " + path + " at byte " + std::to_string(offset + done) + " (wanted " +
             std::to_string(bytes) + " bytes)");
    }
    done += static_cast<size_t>(r);
  }
  ::close(fd);
  auto dev = a.device(4);
  return W(dev.is_cpu() ? t : t.to(dev));
}

Napi::Value item(const Args& a) {
  auto& t = T(0);
  if (t.numel() != 1) a.fail("item() needs a one-element tensor, got " + describeTensor(t));
  if (t.scalar_type() == at::kBool) return Napi::Boolean::New(a.env(), t.item<bool>());
  return Napi::Number::New(a.env(), t.item<double>());
}

Napi::Value shapeOf(const Args& a) {
  auto& t = T(0);
  auto arr = Napi::Array::New(a.env(), t.dim());
  for (int64_t i = 0; i < t.dim(); i++) arr.Set(static_cast<uint32_t>(i), Napi::Number::New(a.env(), t.size(i)));
  return arr;
}

// ---- optimizers -------------------------------------------------------------------------

const napi_type_tag kOptimizerTag = {0x6c61746e74723374ULL, 0x4f7074696d697a31ULL};

struct OptimizerBox {
  std::string kind;  // "adamw" | "adam" | "sgd": saved with the state so a mismatched load is refused clearly
  std::unique_ptr<torch::optim::Optimizer> opt;
};

OptimizerBox& optimizer(const Args& a, size_t i) {
  Napi::Value v = a.raw(i);
  if (!v.IsExternal() || !v.As<Napi::External<OptimizerBox>>().CheckTypeTag(&kOptimizerTag)) {
    a.fail("argument " + std::to_string(i) + " is not an optimizer");
  }
  return *v.As<Napi::External<OptimizerBox>>().Data();
}

double numberField(const Args& a, const Napi::Object& o, const char* key, double fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber()) a.fail(std::string("group field \"") + key + "\" must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

std::vector<at::Tensor> groupParams(const Args& a, const Napi::Object& g) {
  Napi::Value ps = g.Get("params");
  if (!ps.IsArray()) a.fail("each parameter group needs a params array");
  auto arr = ps.As<Napi::Array>();
  std::vector<at::Tensor> out;
  for (uint32_t k = 0; k < arr.Length(); k++) {
    at::Tensor* box = tensorBox(arr.Get(k));
    if (!box || !box->defined()) a.fail("params[" + std::to_string(k) + "] is not a live tensor");
    if (!box->requires_grad()) a.fail("params[" + std::to_string(k) + "] does not require grad");
    out.push_back(*box);
  }
  return out;
}

// Adam's and AdamW's options from one group object (the two share every field; only how weight decay
// acts differs: AdamW decays the weights, Adam adds weightDecay · w to the gradient, as torch.optim.Adam).
template <typename Options>
Options adamOptions(const Args& a, const Napi::Object& g) {
  Options o(numberField(a, g, "lr", 1e-3));
  double b1 = 0.9, b2 = 0.999;
  Napi::Value betas = g.Get("betas");
  if (betas.IsArray()) {
    b1 = betas.As<Napi::Array>().Get(0u).As<Napi::Number>().DoubleValue();
    b2 = betas.As<Napi::Array>().Get(1u).As<Napi::Number>().DoubleValue();
  }
  o.betas(std::make_tuple(b1, b2)).eps(numberField(a, g, "eps", 1e-8)).weight_decay(numberField(a, g, "weightDecay", 0.0));
  return o;
}

// optimizer(kind, groups): kind "adamw" | "adam" | "sgd"; groups [{params, lr, betas, eps, weightDecay,
// momentum, dampening, nesterov}]
Napi::Value makeOptimizer(const Args& a) {
  const std::string kind = a.str(0);
  if (!a.raw(1).IsArray()) a.fail("argument 1 must be an array of parameter groups");
  auto groupsJs = a.raw(1).As<Napi::Array>();
  std::vector<torch::optim::OptimizerParamGroup> groups;
  auto box = new OptimizerBox();
  std::unique_ptr<OptimizerBox> guard(box);
  box->kind = kind;
  if (kind == "adamw") {
    for (uint32_t i = 0; i < groupsJs.Length(); i++) {
      auto g = groupsJs.Get(i).As<Napi::Object>();
      auto o = adamOptions<torch::optim::AdamWOptions>(a, g);
      groups.emplace_back(groupParams(a, g), std::make_unique<torch::optim::AdamWOptions>(o));
    }
    box->opt = std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions());
  } else if (kind == "adam") {
    for (uint32_t i = 0; i < groupsJs.Length(); i++) {
      auto g = groupsJs.Get(i).As<Napi::Object>();
      auto o = adamOptions<torch::optim::AdamOptions>(a, g);
      groups.emplace_back(groupParams(a, g), std::make_unique<torch::optim::AdamOptions>(o));
    }
    box->opt = std::make_unique<torch::optim::Adam>(groups, torch::optim::AdamOptions());
  } else if (kind == "sgd") {
    for (uint32_t i = 0; i < groupsJs.Length(); i++) {
      auto g = groupsJs.Get(i).As<Napi::Object>();
      torch::optim::SGDOptions o(numberField(a, g, "lr", 1e-2));
      o.momentum(numberField(a, g, "momentum", 0.0))
          .dampening(numberField(a, g, "dampening", 0.0))
          .weight_decay(numberField(a, g, "weightDecay", 0.0))
          .nesterov(g.Get("nesterov").IsBoolean() && g.Get("nesterov").As<Napi::Boolean>().Value());
      groups.emplace_back(groupParams(a, g), std::make_unique<torch::optim::SGDOptions>(o));
    }
    box->opt = std::make_unique<torch::optim::SGD>(groups, torch::optim::SGDOptions(1e-2));
  } else {
    a.fail("unknown optimizer \"" + kind + "\" (expected adamw, adam or sgd)");
  }
  guard.release();
  auto ext = Napi::External<OptimizerBox>::New(a.env(), box, [](Napi::Env, OptimizerBox* p) { delete p; });
  ext.TypeTag(&kOptimizerTag);
  return ext;
}

const char* const kKindKey = "latentr3_optimizer_kind";

// The first per-parameter state tensor (Adam(W)'s first moment, SGD's momentum buffer), if any.
at::Tensor stateTensor(const OptimizerBox& box, torch::optim::OptimizerParamState& st) {
  if (box.kind == "adamw") return static_cast<torch::optim::AdamWParamState&>(st).exp_avg();
  if (box.kind == "adam") return static_cast<torch::optim::AdamParamState&>(st).exp_avg();
  return static_cast<torch::optim::SGDParamState&>(st).momentum_buffer();
}

// libtorch keys optimizer state by the parameter's TensorImpl: a string of its address in 1.x, the
// pointer itself in recent 2.x. The key type says which.
using StateKey = std::decay_t<decltype(std::declval<torch::optim::Optimizer&>().state())>::key_type;
template <typename K = StateKey>
K stateKey(const at::Tensor& p) {
  if constexpr (std::is_same_v<K, std::string>) {
    std::ostringstream os;
    os << p.unsafeGetTensorImpl();
    return os.str();
  } else {
    return p.unsafeGetTensorImpl();
  }
}

// libtorch's own load maps saved state to parameters by position only: loading another optimizer
// kind fails with an internal assert, and loading state for differently shaped parameters succeeds
// and then fails in the next step(). Both are checked here, and a rejected load leaves no state.
Napi::Value loadOptimizer(const Args& a) {
  auto& box = optimizer(a, 0);
  const std::string path = a.str(1);
  torch::serialize::InputArchive archive;
  archive.load_from(path);
  c10::IValue kind;
  if (archive.try_read(kKindKey, kind) && kind.isString() && kind.toStringRef() != box.kind) {
    a.fail(path + " holds " + kind.toStringRef() + " state, but this optimizer is " + box.kind);
  }
  box.opt->load(archive);
  size_t index = 0;
  for (auto& g : box.opt->param_groups()) {
    for (auto& p : g.params()) {
      auto it = box.opt->state().find(stateKey(p));
      if (it != box.opt->state().end()) {
        at::Tensor st = stateTensor(box, *it->second);
        if (st.defined() && st.sizes() != p.sizes()) {
          box.opt->state().clear();
          a.fail(path + ": saved state for parameter " + std::to_string(index) + " is " + describeTensor(st) +
                 " but the parameter is " + describeTensor(p));
        }
      }
      index++;
    }
  }
  return a.env().Undefined();
}

std::vector<at::Tensor> allParams(torch::optim::Optimizer& opt) {
  std::vector<at::Tensor> ps;
  for (auto& g : opt.param_groups())
    for (auto& p : g.params()) ps.push_back(p);
  return ps;
}

const OpRegistrar table({
    {"dispose",
     [](const Args& a) {
       if (at::Tensor* box = tensorBox(a.raw(0))) releaseTensor(box);
       return a.env().Undefined();
     }},
    {"live_tensors", [](const Args& a) { return Napi::Number::New(a.env(), static_cast<double>(liveTensors())); }},
    {"is_disposed",
     [](const Args& a) {
       at::Tensor* box = tensorBox(a.raw(0));
       return Napi::Boolean::New(a.env(), !box || !box->defined());
     }},
    {"shape", shapeOf},
    {"dtype", [](const Args& a) { return Napi::String::New(a.env(), dtypeName(T(0).scalar_type())); }},
    {"device", [](const Args& a) { return Napi::String::New(a.env(), T(0).device().str()); }},
    {"describe", [](const Args& a) { return Napi::String::New(a.env(), describeTensor(T(0))); }},
    {"from_buffer", fromBuffer},
    {"to_typed_array", toTypedArray},
    {"to_bytes", toBytes},
    {"read_file", readFile},
    {"item", item},

    // ---- autograd ----
    {"requires_grad", [](const Args& a) { return Napi::Boolean::New(a.env(), T(0).requires_grad()); }},
    {"set_requires_grad",
     [](const Args& a) {
       T(0).requires_grad_(a.b(1, true));
       return a.env().Undefined();
     }},
    {"backward",
     [](const Args& a) {
       c10::optional<at::Tensor> g;
       if (auto t = a.optT(1)) g = *t;
       at::Tensor root = T(0);
       at::Tensor grad = g ? *g : at::Tensor();
       const bool retain = a.b(2);
       runBackward([&] { root.backward(grad, retain); });
       return a.env().Undefined();
     }},
    {"grad",
     [](const Args& a) {
       auto g = T(0).grad();
       return g.defined() ? W(g) : a.env().Null();
     }},
    {"clear_grad",
     [](const Args& a) {
       T(0).mutable_grad().reset();
       return a.env().Undefined();
     }},
    {"set_grad_enabled",
     [](const Args& a) {
       bool previous = at::GradMode::is_enabled();
       at::GradMode::set_enabled(a.b(0));
       return Napi::Boolean::New(a.env(), previous);
     }},
    {"is_grad_enabled", [](const Args& a) { return Napi::Boolean::New(a.env(), at::GradMode::is_enabled()); }},
    {"clip_grad_norm",
     [](const Args& a) {
       auto params = a.tensors(0);
       std::vector<at::Tensor> withGrad;
       for (auto& p : params)
         if (p.grad().defined()) withGrad.push_back(p);
       if (withGrad.empty()) return Napi::Number::New(a.env(), 0.0);
       double norm = torch::nn::utils::clip_grad_norm_(withGrad, a.f64(1), a.has(2) ? a.f64(2) : 2.0);
       return Napi::Number::New(a.env(), norm);
     }},

    // ---- optimizers ----
    {"optimizer", makeOptimizer},
    {"optimizer_step",
     [](const Args& a) {
       optimizer(a, 0).opt->step();
       return a.env().Undefined();
     }},
    {"optimizer_zero_grad",
     [](const Args& a) {
       for (auto& p : allParams(*optimizer(a, 0).opt)) p.mutable_grad().reset();
       return a.env().Undefined();
     }},
    {"optimizer_group_count",
     [](const Args& a) {
       return Napi::Number::New(a.env(), static_cast<double>(optimizer(a, 0).opt->param_groups().size()));
     }},
    {"optimizer_lr",
     [](const Args& a) {
       auto& groups = optimizer(a, 0).opt->param_groups();
       auto i = static_cast<size_t>(a.i64(1));
       if (i >= groups.size()) a.fail("no parameter group " + std::to_string(i));
       return Napi::Number::New(a.env(), groups[i].options().get_lr());
     }},
    {"optimizer_set_lr",
     [](const Args& a) {
       auto& groups = optimizer(a, 0).opt->param_groups();
       auto i = static_cast<size_t>(a.i64(1));
       if (i >= groups.size()) a.fail("no parameter group " + std::to_string(i));
       groups[i].options().set_lr(a.f64(2));
       return a.env().Undefined();
     }},
    {"optimizer_save",
     [](const Args& a) {
       auto& box = optimizer(a, 0);
       torch::serialize::OutputArchive archive;
       box.opt->save(archive);
       archive.write(kKindKey, c10::IValue(box.kind));
       archive.save_to(a.str(1));
       return a.env().Undefined();
     }},
    {"optimizer_load", loadOptimizer},

    // ---- runtime ----
    {"set_num_threads",
     [](const Args& a) {
       // Range-checked before the int cast: a huge count would wrap and spawn an absurd thread pool.
       const int64_t n = a.i64(0);
       if (n < 1 || n > 4096) a.fail("thread count must be between 1 and 4096");
       at::set_num_threads(static_cast<int>(n));
       return a.env().Undefined();
     }},
    {"get_num_threads", [](const Args& a) { return Napi::Number::New(a.env(), at::get_num_threads()); }},
    {"cuda_device_count",
     [](const Args& a) { return Napi::Number::New(a.env(), static_cast<double>(torch::cuda::device_count())); }},
    {"synchronize",
     [](const Args& a) {
       if (torch::cuda::is_available()) torch::cuda::synchronize(a.has(0) ? a.i64(0) : -1);
       return a.env().Undefined();
     }},
});

#undef T
#undef W

}  // namespace
}  // namespace lr3
