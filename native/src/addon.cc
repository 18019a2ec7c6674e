// Module entry: exports every op of the op table as a JS function of the same name, each wrapped
// in a guard that turns a libtorch error into a JS Error naming the op and its arguments.
#include "allocator.h"
#include "common.h"

namespace lr3 {
namespace {

std::string firstLine(const std::string& s) {
  auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

Napi::Value call(const Napi::CallbackInfo& info) {
  const auto* def = static_cast<const OpDef*>(info.Data());
  try {
    return def->fn(Args(info, def->name));
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), describeCall(info, def->name) + ": " + firstLine(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), describeCall(info, def->name) + ": " + firstLine(e.what()));
  }
}

Napi::Object allocatorInfo(Napi::Env env, const AllocatorSettings& s) {
  auto o = Napi::Object::New(env);
  o.Set("caching", s.caching);
  o.Set("minCached", s.minCached);
  o.Set("maxFast", s.maxFast);
  o.Set("reason", s.reason);
  return o;
}

OpRegistrar allocatorOps({
    {"allocator_release", [](const Args& a) { return Napi::Number::New(a.env(), static_cast<double>(releaseCachedBlocks())); }},
    {"allocator_cached", [](const Args& a) { return Napi::Number::New(a.env(), static_cast<double>(cachedBytes())); }},
});

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  const AllocatorSettings allocator = tuneAllocator();
  for (const auto& def : opTable()) {
    exports.Set(def.name, Napi::Function::New(env, call, def.name, const_cast<OpDef*>(&def)));
  }
  auto info = Napi::Object::New(env);
  info.Set("version", TORCH_VERSION);
  info.Set("major", TORCH_VERSION_MAJOR);
  info.Set("minor", TORCH_VERSION_MINOR);
  info.Set("cuda", Napi::Boolean::New(env, torch::cuda::is_available()));
  info.Set("cudaDevices", static_cast<double>(torch::cuda::device_count()));
#if TORCH_VERSION_MAJOR >= 2 && (TORCH_VERSION_MAJOR > 2 || TORCH_VERSION_MINOR >= 1)
  info.Set("fusedAttention", true);
#else
  info.Set("fusedAttention", false);
#endif
  info.Set("cxx11Abi", _GLIBCXX_USE_CXX11_ABI);
  info.Set("allocator", allocatorInfo(env, allocator));
  exports.Set("info", info);
  return exports;
}

}  // namespace
}  // namespace lr3

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return lr3::Init(env, exports); }
NODE_API_MODULE(latentr3_native, InitModule)
