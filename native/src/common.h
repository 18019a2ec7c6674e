// Shared plumbing for the addon: tensor handles, typed argument access and the error guard
// that turns every libtorch failure into a JS Error naming the op and its arguments.
#pragma once

#include <napi.h>
#include <torch/torch.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lr3 {

// ---- handles -------------------------------------------------------------------------------
// A tensor crosses into JS as a type-tagged External owning a heap at::Tensor. `dispose` resets
// the tensor (freeing its storage now); the finalizer deletes the box when the GC collects it.
Napi::Value wrap(Napi::Env env, at::Tensor t);
Napi::Value wrapList(Napi::Env env, const std::vector<at::Tensor>& ts);
bool isTensor(const Napi::Value& v);
at::Tensor* tensorBox(const Napi::Value& v);  // nullptr when not a tensor handle
int64_t liveTensors();
void releaseTensor(at::Tensor* box);  // resets and updates the live count

std::string dtypeName(at::ScalarType t);
at::ScalarType parseDtype(const std::string& s);
std::string describeTensor(const at::Tensor& t);

// ---- arguments -----------------------------------------------------------------------------
class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* op) : info_(info), op_(op) {}
  Napi::Env env() const { return info_.Env(); }
  size_t size() const { return info_.Length(); }
  bool has(size_t i) const { return i < info_.Length() && !info_[i].IsUndefined() && !info_[i].IsNull(); }
  Napi::Value raw(size_t i) const { return info_[i]; }

  at::Tensor& t(size_t i) const;
  std::optional<at::Tensor> optT(size_t i) const;
  std::vector<at::Tensor> tensors(size_t i) const;
  int64_t i64(size_t i) const;
  std::optional<int64_t> optI64(size_t i) const;
  double f64(size_t i) const;
  std::optional<double> optF64(size_t i) const;
  bool b(size_t i, bool fallback = false) const;
  std::string str(size_t i) const;
  std::vector<int64_t> ints(size_t i) const;
  at::Scalar scalar(size_t i) const;
  at::ScalarType dtype(size_t i, at::ScalarType fallback = at::kFloat) const;
  std::optional<at::ScalarType> optDtype(size_t i) const;
  c10::Device device(size_t i) const;  // "cpu" when absent
  // c10::optional, the type ATen's random ops take (std::optional only from libtorch 2.x on).
  c10::optional<at::Generator> generator(size_t i) const;

  [[noreturn]] void fail(const std::string& message) const;

 private:
  const Napi::CallbackInfo& info_;
  const char* op_;
};

// ---- op table ------------------------------------------------------------------------------
using OpFn = std::function<Napi::Value(const Args&)>;
struct OpDef {
  const char* name;
  OpFn fn;
};
// Each translation unit appends its ops; addon.cc exports them all under their names.
std::vector<OpDef>& opTable();
struct OpRegistrar {
  OpRegistrar(std::initializer_list<OpDef> defs) {
    for (auto& d : defs) opTable().push_back(d);
  }
};

// Describes the call's arguments for error messages: `matmul(f32[2,3], f32[4,5])`.
std::string describeCall(const Napi::CallbackInfo& info, const char* op);

Napi::Value wrapGenerator(Napi::Env env, at::Generator g);

// Runs `work` (a backward call). While gradient-checkpoint nodes are alive it runs on a helper
// thread and this (the JS) thread serves their recompute requests; see recompute.cc.
void runBackward(const std::function<void()>& work);

}  // namespace lr3
