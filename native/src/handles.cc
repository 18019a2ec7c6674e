#include "common.h"

#include <atomic>
#include <sstream>

namespace lr3 {

namespace {
const napi_type_tag kTensorTag = {0x6c61746e74723374ULL, 0x54656e736f723031ULL};
const napi_type_tag kGeneratorTag = {0x6c61746e74723374ULL, 0x47656e6572613031ULL};
std::atomic<int64_t> gLive{0};
}  // namespace

int64_t liveTensors() { return gLive.load(); }

void releaseTensor(at::Tensor* box) {
  if (box->defined()) {
    *box = at::Tensor();
    gLive--;
  }
}

// Called by the GC for a handle that was collected (disposed or not).
void finalizeTensor(napi_env, void* data, void*) {
  auto* box = static_cast<at::Tensor*>(data);
  releaseTensor(box);
  delete box;
}

// Every op result crosses here, so this uses the C API directly: node-addon-api's External::New
// allocates a finalizer record per handle on top of what N-API itself keeps.
Napi::Value wrap(Napi::Env env, at::Tensor t) {
  if (!t.defined()) return env.Null();
  auto* box = new at::Tensor(std::move(t));
  gLive++;
  napi_value ext;
  napi_status status = napi_create_external(env, box, finalizeTensor, nullptr, &ext);
  if (status == napi_ok) status = napi_type_tag_object(env, ext, &kTensorTag);
  if (status != napi_ok) {
    finalizeTensor(env, box, nullptr);
    NAPI_THROW_IF_FAILED(env, status, Napi::Value());
  }
  return Napi::Value(env, ext);
}

Napi::Value wrapList(Napi::Env env, const std::vector<at::Tensor>& ts) {
  auto arr = Napi::Array::New(env, ts.size());
  for (size_t i = 0; i < ts.size(); i++) arr.Set(i, wrap(env, ts[i]));
  return arr;
}

bool isTensor(const Napi::Value& v) {
  return v.IsExternal() && v.As<Napi::External<at::Tensor>>().CheckTypeTag(&kTensorTag);
}

at::Tensor* tensorBox(const Napi::Value& v) {
  if (!isTensor(v)) return nullptr;
  return v.As<Napi::External<at::Tensor>>().Data();
}

Napi::Value wrapGenerator(Napi::Env env, at::Generator g) {
  auto* box = new at::Generator(std::move(g));
  auto ext = Napi::External<at::Generator>::New(env, box, [](Napi::Env, at::Generator* p) { delete p; });
  ext.TypeTag(&kGeneratorTag);
  return ext;
}

std::string dtypeName(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "f32";
    case at::kDouble: return "f64";
    case at::kHalf: return "f16";
    case at::kBFloat16: return "bf16";
    case at::kLong: return "i64";
    case at::kInt: return "i32";
    case at::kShort: return "i16";
    case at::kChar: return "i8";
    case at::kByte: return "u8";
    case at::kBool: return "bool";
    default: return c10::toString(t);
  }
}

at::ScalarType parseDtype(const std::string& s) {
  if (s == "f32") return at::kFloat;
  if (s == "f64") return at::kDouble;
  if (s == "f16") return at::kHalf;
  if (s == "bf16") return at::kBFloat16;
  if (s == "i64") return at::kLong;
  if (s == "i32") return at::kInt;
  if (s == "i16") return at::kShort;
  if (s == "i8") return at::kChar;
  if (s == "u8") return at::kByte;
  if (s == "bool") return at::kBool;
  throw std::invalid_argument("unknown dtype \"" + s + "\" (expected f32, f64, f16, bf16, i64, i32, i16, i8, u8 or bool)");
}

std::string describeTensor(const at::Tensor& t) {
  if (!t.defined()) return "<disposed>";
  std::ostringstream os;
  os << dtypeName(t.scalar_type()) << "[";
  for (int64_t i = 0; i < t.dim(); i++) os << (i ? "," : "") << t.size(i);
  os << "]";
  if (!t.device().is_cpu()) os << "@" << t.device().str();
  return os.str();
}

// ---- Args ----------------------------------------------------------------------------------

// Argument errors carry the same `op(f32[2,3], ...)` prefix as libtorch errors, so a message always
// shows which call failed and with what.
void Args::fail(const std::string& message) const {
  throw Napi::TypeError::New(env(), describeCall(info_, op_) + ": " + message);
}

at::Tensor& Args::t(size_t i) const {
  if (i >= info_.Length()) fail("argument " + std::to_string(i) + " is missing (expected a tensor)");
  at::Tensor* box = tensorBox(info_[i]);
  if (!box) fail("argument " + std::to_string(i) + " is not a tensor");
  if (!box->defined()) fail("argument " + std::to_string(i) + " is a disposed tensor");
  return *box;
}

std::optional<at::Tensor> Args::optT(size_t i) const {
  if (!has(i)) return std::nullopt;
  return t(i);
}

std::vector<at::Tensor> Args::tensors(size_t i) const {
  if (!has(i) || !info_[i].IsArray()) fail("argument " + std::to_string(i) + " must be an array of tensors");
  auto arr = info_[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); k++) {
    at::Tensor* box = tensorBox(arr.Get(k));
    if (!box) fail("element " + std::to_string(k) + " of argument " + std::to_string(i) + " is not a tensor");
    if (!box->defined()) fail("element " + std::to_string(k) + " of argument " + std::to_string(i) + " is disposed");
    out.push_back(*box);
  }
  return out;
}

int64_t Args::i64(size_t i) const {
  if (!has(i) || !info_[i].IsNumber()) fail("argument " + std::to_string(i) + " must be an integer");
  double v = info_[i].As<Napi::Number>().DoubleValue();
  if (v != static_cast<double>(static_cast<int64_t>(v))) fail("argument " + std::to_string(i) + " must be an integer");
  return static_cast<int64_t>(v);
}

std::optional<int64_t> Args::optI64(size_t i) const {
  if (!has(i)) return std::nullopt;
  return i64(i);
}

double Args::f64(size_t i) const {
  if (!has(i) || !info_[i].IsNumber()) fail("argument " + std::to_string(i) + " must be a number");
  return info_[i].As<Napi::Number>().DoubleValue();
}

std::optional<double> Args::optF64(size_t i) const {
  if (!has(i)) return std::nullopt;
  return f64(i);
}

bool Args::b(size_t i, bool fallback) const {
  if (!has(i)) return fallback;
  if (!info_[i].IsBoolean()) fail("argument " + std::to_string(i) + " must be a boolean");
  return info_[i].As<Napi::Boolean>().Value();
}

std::string Args::str(size_t i) const {
  if (!has(i) || !info_[i].IsString()) fail("argument " + std::to_string(i) + " must be a string");
  return info_[i].As<Napi::String>().Utf8Value();
}

std::vector<int64_t> Args::ints(size_t i) const {
  if (!has(i) || !info_[i].IsArray()) fail("argument " + std::to_string(i) + " must be an array of integers");
  auto arr = info_[i].As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); k++) {
    Napi::Value v = arr.Get(k);
    if (!v.IsNumber()) fail("argument " + std::to_string(i) + " must be an array of integers");
    double d = v.As<Napi::Number>().DoubleValue();
    if (d != static_cast<double>(static_cast<int64_t>(d))) fail("argument " + std::to_string(i) + " has a non-integer");
    out[k] = static_cast<int64_t>(d);
  }
  return out;
}

at::Scalar Args::scalar(size_t i) const {
  if (has(i) && info_[i].IsBoolean()) return at::Scalar(info_[i].As<Napi::Boolean>().Value());
  double v = f64(i);
  // An integral JS number becomes an integer scalar so integer tensors keep their dtype,
  // as Python ints do in PyTorch; float tensors are unaffected.
  if (std::isfinite(v) && v == static_cast<double>(static_cast<int64_t>(v)) && std::abs(v) < 9007199254740992.0) {
    return at::Scalar(static_cast<int64_t>(v));
  }
  return at::Scalar(v);
}

at::ScalarType Args::dtype(size_t i, at::ScalarType fallback) const {
  if (!has(i)) return fallback;
  try {
    return parseDtype(str(i));
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
}

std::optional<at::ScalarType> Args::optDtype(size_t i) const {
  if (!has(i)) return std::nullopt;
  return dtype(i);
}

c10::Device Args::device(size_t i) const {
  if (!has(i)) return c10::Device(c10::kCPU);
  std::string s = str(i);
  try {
    return c10::Device(s);
  } catch (const c10::Error&) {
    fail("unknown device \"" + s + "\" (expected cpu, cuda or cuda:N)");
  }
}

c10::optional<at::Generator> Args::generator(size_t i) const {
  if (!has(i)) return c10::nullopt;
  const Napi::Value& v = info_[i];
  if (!v.IsExternal() || !v.As<Napi::External<at::Generator>>().CheckTypeTag(&kGeneratorTag)) {
    fail("argument " + std::to_string(i) + " is not a generator");
  }
  return *v.As<Napi::External<at::Generator>>().Data();
}

std::vector<OpDef>& opTable() {
  static std::vector<OpDef> table;
  return table;
}

std::string describeCall(const Napi::CallbackInfo& info, const char* op) {
  std::ostringstream os;
  os << op << "(";
  for (size_t i = 0; i < info.Length(); i++) {
    if (i) os << ", ";
    const Napi::Value v = info[i];
    if (at::Tensor* box = tensorBox(v)) {
      os << describeTensor(*box);
    } else if (v.IsNumber()) {
      os << v.As<Napi::Number>().DoubleValue();
    } else if (v.IsString()) {
      os << '"' << v.As<Napi::String>().Utf8Value() << '"';
    } else if (v.IsBoolean()) {
      os << (v.As<Napi::Boolean>().Value() ? "true" : "false");
    } else if (v.IsArray()) {
      auto arr = v.As<Napi::Array>();
      os << "[";
      for (uint32_t k = 0; k < arr.Length() && k < 8; k++) {
        Napi::Value e = arr.Get(k);
        if (k) os << ",";
        if (at::Tensor* b = tensorBox(e)) os << describeTensor(*b);
        else if (e.IsNumber()) os << e.As<Napi::Number>().DoubleValue();
        else os << "…";
      }
      if (arr.Length() > 8) os << ",…";
      os << "]";
    } else if (v.IsUndefined() || v.IsNull()) {
      os << "null";
    } else {
      os << "…";
    }
  }
  os << ")";
  return os.str();
}

}  // namespace lr3
