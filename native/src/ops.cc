// The tensor op table: one entry per op, each a thin call into ATen. Families of ops with the
// same signature are listed once in X-macros so adding an op is one word, not one function.
#include "common.h"

#include <cmath>
#include <limits>

namespace lr3 {
namespace {

// conv2d on CPU as one GEMM over the input's windows (strided views, differentiated by ATen), never
// through oneDNN: its AVX-512 convolutions corrupt the heap when a signal (the profiler, SIGCHLD)
// lands mid-kernel on our AVX-512 VMs (docs/engine.md). As fast as oneDNN's AVX-512 kernel on
// Caser's shapes; ATen's im2col path was 3x slower.
at::Tensor conv2dByWindows(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& bias,
                           const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                           const std::vector<int64_t>& dilation) {
  const at::Tensor in = (padding[0] || padding[1])
                            ? at::constant_pad_nd(x, {padding[1], padding[1], padding[0], padding[0]})
                            : x;
  const int64_t spanH = dilation[0] * (w.size(2) - 1) + 1, spanW = dilation[1] * (w.size(3) - 1) + 1;
  TORCH_CHECK(in.size(2) >= spanH && in.size(3) >= spanW, "conv2d: kernel ", w.sizes(),
              " (with dilation) is larger than the padded input ", in.sizes());
  at::Tensor windows = in.unfold(2, spanH, stride[0]).unfold(3, spanW, stride[1]);  // [B,C,H',W',spanH,spanW]
  if (dilation[0] > 1) windows = windows.slice(4, 0, c10::nullopt, dilation[0]);
  if (dilation[1] > 1) windows = windows.slice(5, 0, c10::nullopt, dilation[1]);
  const int64_t batch = x.size(0), outH = windows.size(2), outW = windows.size(3), outC = w.size(0);
  const at::Tensor rows = windows.permute({0, 2, 3, 1, 4, 5}).reshape({batch * outH * outW, -1});
  const at::Tensor weight = w.reshape({outC, -1}).t();
  const at::Tensor out = bias ? at::addmm(*bias, rows, weight) : rows.mm(weight);
  return out.view({batch, outH, outW, outC}).permute({0, 3, 1, 2}).contiguous();
}

#define T(i) a.t(i)
#define W(expr) wrap(a.env(), (expr))

// unary: f(x)
#define UNARY_OPS(X)                                                                                \
  X(neg) X(exp) X(log) X(sqrt) X(rsqrt) X(abs) X(tanh) X(sigmoid) X(relu) X(sin) X(cos)     \
  X(reciprocal) X(square) X(logical_not) X(floor) X(ceil) X(round) X(sign) X(log1p) X(expm1) X(erf) \
  X(isnan) X(isfinite) X(contiguous) X(clone) X(detach)

// binary: f(x, y) with broadcasting
#define BINARY_OPS(X)                                                                              \
  X(add) X(sub) X(mul) X(div) X(pow) X(maximum) X(minimum) X(eq) X(ne) X(lt) X(le) X(gt) X(ge)     \
  X(logical_and) X(logical_or) X(logical_xor) X(remainder) X(atan2) X(matmul) X(mm) X(bmm) X(outer)

// tensor-scalar: f(x, s)
#define SCALAR_OPS(X) X(add) X(sub) X(mul) X(div) X(pow) X(eq) X(ne) X(lt) X(le) X(gt) X(ge) X(remainder)

// Every dimension of x: how "reduce over all dims" is spelled when keepdim must be honoured.
std::vector<int64_t> allDims(const at::Tensor& x) {
  std::vector<int64_t> every(x.dim());
  for (int64_t i = 0; i < x.dim(); i++) every[i] = i;
  return every;
}

at::Tensor reduceAll(const at::Tensor& x, const std::vector<int64_t>& dims, bool keepdim,
                     at::Tensor (*all)(const at::Tensor&),
                     at::Tensor (*some)(const at::Tensor&, at::IntArrayRef, bool)) {
  // An empty dim list means "every dimension" (ATen's empty-list semantics changed across versions).
  if (dims.empty()) return keepdim ? some(x, allDims(x), true) : all(x);
  return some(x, dims, keepdim);
}

at::Tensor sumAll(const at::Tensor& x) { return at::sum(x); }
at::Tensor sumSome(const at::Tensor& x, at::IntArrayRef d, bool k) { return at::sum(x, d, k); }
at::Tensor meanAll(const at::Tensor& x) { return at::mean(x); }
at::Tensor meanSome(const at::Tensor& x, at::IntArrayRef d, bool k) { return at::mean(x, d, k); }
at::Tensor amaxAll(const at::Tensor& x) { return at::amax(x.reshape({-1}), {0}, false); }
at::Tensor amaxSome(const at::Tensor& x, at::IntArrayRef d, bool k) { return at::amax(x, d, k); }
at::Tensor aminAll(const at::Tensor& x) { return at::amin(x.reshape({-1}), {0}, false); }
at::Tensor aminSome(const at::Tensor& x, at::IntArrayRef d, bool k) { return at::amin(x, d, k); }
at::Tensor lseAll(const at::Tensor& x) { return at::logsumexp(x.reshape({-1}), {0}, false); }
at::Tensor lseSome(const at::Tensor& x, at::IntArrayRef d, bool k) { return at::logsumexp(x, d, k); }

int64_t reductionCode(const Args& a, size_t i) {
  std::string r = a.has(i) ? a.str(i) : "mean";
  if (r == "mean") return at::Reduction::Mean;
  if (r == "sum") return at::Reduction::Sum;
  if (r == "none") return at::Reduction::None;
  a.fail("reduction must be mean, sum or none; got \"" + r + "\"");
}

// Causal masks here are aligned to the last key: query i of Tq may attend key j of Tk when
// j <= i + Tk - Tq. With Tq == Tk that is the usual lower triangle; with one query over a KV cache it
// attends every cached key. (PyTorch 2.x's is_causal aligns to the first key and refuses an explicit
// mask, so the fused path below gets is_causal only when Tq == Tk and there is no other mask.)
at::Tensor causalKeep(const at::Tensor& q, const at::Tensor& k) {
  auto tq = q.size(-2), tk = k.size(-2);
  return at::ones({tq, tk}, q.options().dtype(at::kBool)).tril(tk - tq);
}

// Folds the causal constraint into the user's mask: bool masks (true = attend) are and-ed; additive
// float masks get -inf where causality forbids.
at::Tensor withCausal(const at::Tensor& q, const at::Tensor& k, const std::optional<at::Tensor>& mask) {
  auto keep = causalKeep(q, k);
  if (!mask) return keep;
  if (mask->scalar_type() == at::kBool) return at::logical_and(*mask, keep);
  return at::where(keep, *mask, at::full({}, -std::numeric_limits<double>::infinity(), mask->options()));
}

// Scaled dot-product attention. q: [B,H,Tq,D], k/v: [B,H,Tk,D]; mask: bool (true = attend) or
// additive float, broadcastable to [B,H,Tq,Tk]. Uses ATen's fused kernel where the libtorch has it.
at::Tensor sdpa(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const std::optional<at::Tensor>& mask,
                bool causal, std::optional<double> scale) {
  TORCH_CHECK(q.dim() >= 2 && k.dim() >= 2, "attention needs q and k of rank >= 2, got ", q.sizes(), " and ", k.sizes());
  const double s = scale.value_or(1.0 / std::sqrt(static_cast<double>(q.size(-1))));
  std::optional<at::Tensor> m = mask;
  const bool fusedCausal = causal && !mask && q.size(-2) == k.size(-2);
  if (causal && !fusedCausal) m = withCausal(q, k, mask);
#if TORCH_VERSION_MAJOR >= 2 && (TORCH_VERSION_MAJOR > 2 || TORCH_VERSION_MINOR >= 1)
  c10::optional<at::Tensor> cm;
  if (m) cm = *m;
  return at::scaled_dot_product_attention(q, k, v, cm, 0.0, fusedCausal, s);
#else
  if (fusedCausal) m = causalKeep(q, k);
  at::Tensor scores = at::matmul(q, k.transpose(-2, -1)) * s;
  if (m) {
    if (m->scalar_type() == at::kBool) {
      scores = scores.masked_fill(m->logical_not(), -std::numeric_limits<double>::infinity());
    } else {
      scores = scores + *m;
    }
  }
  return at::matmul(at::softmax(scores, -1), v);
#endif
}

// HF Qwen2 RMSNorm: normalise in at least fp32 (bf16/f16 are upcast as HF does; f64 stays f64 so
// reference checks and gradient checks are exact), cast back to the input dtype, then scale.
at::Tensor rmsNorm(const at::Tensor& x, const at::Tensor& w, double eps) {
  auto h = x.to(at::promote_types(x.scalar_type(), at::kFloat));
  h = h * at::rsqrt(h.pow(2).mean({-1}, true) + eps);
  return w * h.to(x.scalar_type());
}

// Rotary embedding in the rotate-half convention: x*cos + [-x2, x1]*sin. The halves must be equal,
// else the concatenation silently pairs the wrong elements.
at::Tensor rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  TORCH_CHECK(x.dim() >= 1 && x.size(-1) % 2 == 0, "rotary embedding needs an even last dim, got ", x.sizes());
  auto half = x.size(-1) / 2;
  auto x1 = x.narrow(-1, 0, half);
  auto x2 = x.narrow(-1, half, half);
  return x * cos + at::cat({x2.neg(), x1}, -1) * sin;
}

at::TensorOptions opts(const Args& a, size_t dtypeArg, size_t deviceArg, at::ScalarType fallback = at::kFloat) {
  return at::TensorOptions().dtype(a.dtype(dtypeArg, fallback)).device(a.device(deviceArg));
}

// Samples on the generator's device (a CPU generator is portable and seeded), then moves the result.
template <typename F>
at::Tensor sampleOnGeneratorDevice(const c10::optional<at::Generator>& gen, at::TensorOptions o, F sample) {
  if (gen && gen->device().is_cpu() && !o.device().is_cpu()) return sample(gen, o.device(c10::kCPU)).to(o.device());
  return sample(gen, o);
}

// Inverted dropout (kept elements scaled by 1/(1-p)). With a generator the keep-mask is drawn from it,
// so a seeded run drops the same elements every time; without one, ATen's dropout uses the global RNG.
at::Tensor dropoutWith(const at::Tensor& x, double p, bool train, const c10::optional<at::Generator>& gen) {
  TORCH_CHECK(p >= 0 && p <= 1, "dropout probability must be within [0, 1], got ", p);
  if (!gen || !train || p == 0) return at::dropout(x, p, train);
  if (p == 1) return x * 0;
  auto keep = sampleOnGeneratorDevice(gen, x.options(), [&](auto g, auto o) { return at::empty(x.sizes(), o).bernoulli_(1 - p, g); });
  return x * (keep / (1 - p));
}

const OpRegistrar unary({
#define X(name) {#name, [](const Args& a) { return W(T(0).name()); }},
    UNARY_OPS(X)
#undef X
});

const OpRegistrar binary({
#define X(name) {#name, [](const Args& a) { return W(at::name(T(0), T(1))); }},
    BINARY_OPS(X)
#undef X
});

const OpRegistrar scalarOps({
#define X(name) {#name "_scalar", [](const Args& a) { return W(at::name(T(0), a.scalar(1))); }},
    SCALAR_OPS(X)
#undef X
});

const OpRegistrar others({
    // ---- elementwise extras ----
    {"silu", [](const Args& a) { return W(at::silu(T(0))); }},
    {"rsub_scalar", [](const Args& a) { return W(at::rsub(T(0), a.scalar(1))); }},
    {"gelu", [](const Args& a) { return W(at::gelu(T(0), a.b(1) ? "tanh" : "none")); }},
    {"clamp",
     [](const Args& a) {
       c10::optional<at::Scalar> lo, hi;
       if (a.has(1)) lo = a.scalar(1);
       if (a.has(2)) hi = a.scalar(2);
       return W(at::clamp(T(0), lo, hi));
     }},
    {"where", [](const Args& a) { return W(at::where(T(0), T(1), T(2))); }},
    {"where_scalar", [](const Args& a) { return W(at::where(T(0), T(1), a.scalar(2))); }},
    {"masked_fill", [](const Args& a) { return W(T(0).masked_fill(T(1), a.scalar(2))); }},
    {"masked_fill_tensor", [](const Args& a) { return W(T(0).masked_fill(T(1), T(2))); }},
    {"lerp", [](const Args& a) { return W(at::lerp(T(0), T(1), a.scalar(2))); }},
    {"linear",
     [](const Args& a) {
       c10::optional<at::Tensor> bias;
       if (auto b = a.optT(2)) bias = *b;
       return W(at::linear(T(0), T(1), bias));
     }},
    {"einsum", [](const Args& a) { return W(at::einsum(a.str(0), a.tensors(1))); }},
    {"svdvals", [](const Args& a) { return W(at::linalg_svdvals(T(0))); }},

    // ---- reductions ----
    {"sum", [](const Args& a) { return W(reduceAll(T(0), a.ints(1), a.b(2), sumAll, sumSome)); }},
    {"mean", [](const Args& a) { return W(reduceAll(T(0), a.ints(1), a.b(2), meanAll, meanSome)); }},
    {"amax", [](const Args& a) { return W(reduceAll(T(0), a.ints(1), a.b(2), amaxAll, amaxSome)); }},
    {"amin", [](const Args& a) { return W(reduceAll(T(0), a.ints(1), a.b(2), aminAll, aminSome)); }},
    {"logsumexp", [](const Args& a) { return W(reduceAll(T(0), a.ints(1), a.b(2), lseAll, lseSome)); }},
    // var(x, dims, keepdim, unbiased) and norm(x, p, dims, keepdim): empty dims = all, keepdim honoured.
    {"var",
     [](const Args& a) {
       auto& x = T(0);
       auto d = a.ints(1);
       if (d.empty() && (!a.b(2) || x.dim() == 0)) return W(at::var(x, a.b(3, true)));
       if (d.empty()) d = allDims(x);
       return W(at::var(x, at::IntArrayRef(d), a.b(3, true), a.b(2)));
     }},
    {"norm",
     [](const Args& a) {
       auto& x = T(0);
       auto d = a.ints(2);
       if (d.empty() && (!a.b(3) || x.dim() == 0)) return W(at::norm(x, a.scalar(1)));
       if (d.empty()) d = allDims(x);
       return W(at::norm(x, a.scalar(1), at::IntArrayRef(d), a.b(3)));
     }},
    {"argmax",
     [](const Args& a) {
       c10::optional<int64_t> d;
       if (a.has(1)) d = a.i64(1);
       return W(at::argmax(T(0), d, a.b(2)));
     }},
    {"argmin",
     [](const Args& a) {
       c10::optional<int64_t> d;
       if (a.has(1)) d = a.i64(1);
       return W(at::argmin(T(0), d, a.b(2)));
     }},
    {"max_dim",
     [](const Args& a) {
       auto r = at::max(T(0), a.i64(1), a.b(2));
       return wrapList(a.env(), {std::get<0>(r), std::get<1>(r)});
     }},
    {"min_dim",
     [](const Args& a) {
       auto r = at::min(T(0), a.i64(1), a.b(2));
       return wrapList(a.env(), {std::get<0>(r), std::get<1>(r)});
     }},
    {"all", [](const Args& a) { return W(at::all(T(0))); }},
    {"any", [](const Args& a) { return W(at::any(T(0))); }},
    {"cumsum", [](const Args& a) { return W(at::cumsum(T(0), a.i64(1))); }},
    {"softmax",
     [](const Args& a) {
       c10::optional<at::ScalarType> dt;
       if (auto d = a.optDtype(2)) dt = *d;
       return W(at::softmax(T(0), a.i64(1), dt));
     }},
    {"log_softmax",
     [](const Args& a) {
       c10::optional<at::ScalarType> dt;
       if (auto d = a.optDtype(2)) dt = *d;
       return W(at::log_softmax(T(0), a.i64(1), dt));
     }},

    // ---- losses ----
    // cross_entropy(logits [N,C], target [N] i64, ignoreIndex, reduction, labelSmoothing)
    {"cross_entropy",
     [](const Args& a) {
       return W(at::cross_entropy_loss(T(0), T(1), {}, reductionCode(a, 3), a.has(2) ? a.i64(2) : -100,
                                       a.has(4) ? a.f64(4) : 0.0));
     }},
    {"nll_loss",
     [](const Args& a) { return W(at::nll_loss(T(0), T(1), {}, reductionCode(a, 3), a.has(2) ? a.i64(2) : -100)); }},
    {"mse_loss", [](const Args& a) { return W(at::mse_loss(T(0), T(1), reductionCode(a, 2))); }},
    // bce_with_logits(logits, target, reduction, weight?, posWeight?): log-sigmoid form, stable for any logit
    {"bce_with_logits",
     [](const Args& a) {
       c10::optional<at::Tensor> weight, posWeight;
       if (auto w = a.optT(3)) weight = *w;
       if (auto w = a.optT(4)) posWeight = *w;
       return W(at::binary_cross_entropy_with_logits(T(0), T(1), weight, posWeight, reductionCode(a, 2)));
     }},

    // ---- indexing ----
    {"gather", [](const Args& a) { return W(at::gather(T(0), a.i64(1), T(2))); }},
    {"index_select", [](const Args& a) { return W(at::index_select(T(0), a.i64(1), T(2))); }},
    {"embedding", [](const Args& a) { return W(at::embedding(T(0), T(1))); }},
    {"scatter", [](const Args& a) { return W(at::scatter(T(0), a.i64(1), T(2), T(3))); }},
    {"scatter_add", [](const Args& a) { return W(at::scatter_add(T(0), a.i64(1), T(2), T(3))); }},
    {"index_add", [](const Args& a) { return W(at::index_add(T(0), a.i64(1), T(2), T(3))); }},
    {"masked_select", [](const Args& a) { return W(at::masked_select(T(0), T(1))); }},
    {"nonzero", [](const Args& a) { return W(at::nonzero(T(0))); }},
    {"narrow", [](const Args& a) { return W(T(0).narrow(a.i64(1), a.i64(2), a.i64(3))); }},
    {"slice",
     [](const Args& a) {
       c10::optional<int64_t> start, end;
       if (a.has(2)) start = a.i64(2);
       if (a.has(3)) end = a.i64(3);
       return W(T(0).slice(a.i64(1), start, end, a.has(4) ? a.i64(4) : 1));
     }},
    {"select", [](const Args& a) { return W(T(0).select(a.i64(1), a.i64(2))); }},

    // ---- shape ----
    {"reshape", [](const Args& a) { return W(T(0).reshape(a.ints(1))); }},
    {"view", [](const Args& a) { return W(T(0).view(a.ints(1))); }},
    {"permute", [](const Args& a) { return W(T(0).permute(a.ints(1))); }},
    {"transpose", [](const Args& a) { return W(T(0).transpose(a.i64(1), a.i64(2))); }},
    {"unsqueeze", [](const Args& a) { return W(T(0).unsqueeze(a.i64(1))); }},
    {"squeeze", [](const Args& a) { return W(a.has(1) ? T(0).squeeze(a.i64(1)) : T(0).squeeze()); }},
    {"expand", [](const Args& a) { return W(T(0).expand(a.ints(1))); }},
    {"repeat", [](const Args& a) { return W(T(0).repeat(a.ints(1))); }},
    {"repeat_interleave", [](const Args& a) { return W(T(0).repeat_interleave(a.i64(1), a.i64(2))); }},
    {"flatten", [](const Args& a) { return W(T(0).flatten(a.has(1) ? a.i64(1) : 0, a.has(2) ? a.i64(2) : -1)); }},
    {"cat", [](const Args& a) { return W(at::cat(a.tensors(0), a.i64(1))); }},
    {"stack", [](const Args& a) { return W(at::stack(a.tensors(0), a.i64(1))); }},
    {"split", [](const Args& a) { return wrapList(a.env(), T(0).split(a.i64(1), a.i64(2))); }},
    {"chunk", [](const Args& a) { return wrapList(a.env(), T(0).chunk(a.i64(1), a.i64(2))); }},
    {"flip", [](const Args& a) { return W(T(0).flip(a.ints(1))); }},
    {"roll", [](const Args& a) { return W(T(0).roll(a.ints(1), a.ints(2))); }},
    {"tril", [](const Args& a) { return W(T(0).tril(a.has(1) ? a.i64(1) : 0)); }},
    {"triu", [](const Args& a) { return W(T(0).triu(a.has(1) ? a.i64(1) : 0)); }},
    {"pad", [](const Args& a) { return W(at::constant_pad_nd(T(0), a.ints(1), a.has(2) ? a.scalar(2) : at::Scalar(0))); }},

    // ---- sorting ----
    {"topk",
     [](const Args& a) {
       auto r = at::topk(T(0), a.i64(1), a.has(2) ? a.i64(2) : -1, a.b(3, true), a.b(4, true));
       return wrapList(a.env(), {std::get<0>(r), std::get<1>(r)});
     }},
    {"sort",
     [](const Args& a) {
       auto r = at::sort(T(0), c10::optional<bool>(a.b(3, true)), a.has(1) ? a.i64(1) : -1, a.b(2));
       return wrapList(a.env(), {std::get<0>(r), std::get<1>(r)});
     }},

    // ---- nn helpers ----
    {"sdpa", [](const Args& a) { return W(sdpa(T(0), T(1), T(2), a.optT(3), a.b(4), a.optF64(5))); }},
    {"rms_norm", [](const Args& a) { return W(rmsNorm(T(0), T(1), a.f64(2))); }},
    {"rope", [](const Args& a) { return W(rope(T(0), T(1), T(2))); }},
    {"dropout", [](const Args& a) { return W(dropoutWith(T(0), a.f64(1), a.b(2), a.generator(3))); }},
    // layer_norm(x, normalizedShape, weight?, bias?, eps)
    {"layer_norm",
     [](const Args& a) {
       c10::optional<at::Tensor> w, b;
       if (auto t = a.optT(2)) w = *t;
       if (auto t = a.optT(3)) b = *t;
       return W(at::layer_norm(T(0), a.ints(1), w, b, a.f64(4)));
     }},
    // conv2d(x [B,C,H,W], weight [O,C/groups,kH,kW], bias?, stride, padding, dilation, groups).
    {"conv2d",
     [](const Args& a) {
       c10::optional<at::Tensor> bias;
       if (auto t = a.optT(2)) bias = *t;
       const at::Tensor& x = T(0);
       const at::Tensor& w = T(1);
       const auto stride = a.ints(3), padding = a.ints(4), dilation = a.ints(5);
       const int64_t groups = a.i64(6);
       const bool windowed = x.device().is_cpu() && groups == 1 && x.dim() == 4 && w.dim() == 4 &&
                             x.size(1) == w.size(1) && stride.size() == 2 && padding.size() == 2 &&
                             dilation.size() == 2;
       return W(windowed ? conv2dByWindows(x, w, bias, stride, padding, dilation)
                         : at::conv2d(x, w, bias, stride, padding, dilation, groups));
     }},
    // gru(x, h0 [layers,B,H], params [w_ih, w_hh(, b_ih, b_hh)] per layer, layers, dropout, train, batchFirst)
    // → [output, h_n]. Biases are present when there are four tensors per layer. Dropout between layers
    // draws from the global RNG (ATen's GRU takes no generator).
    {"gru",
     [](const Args& a) {
       auto params = a.tensors(2);
       const int64_t layers = a.i64(3);
       if (layers < 1) a.fail("a GRU needs at least one layer");
       if (params.size() != static_cast<size_t>(2 * layers) && params.size() != static_cast<size_t>(4 * layers)) {
         a.fail("a " + std::to_string(layers) + "-layer GRU takes " + std::to_string(2 * layers) + " or " +
                std::to_string(4 * layers) + " weight tensors (w_ih, w_hh[, b_ih, b_hh] per layer), got " +
                std::to_string(params.size()));
       }
       const bool biases = params.size() == static_cast<size_t>(4 * layers);
       auto r = at::gru(T(0), T(1), params, biases, layers, a.f64(4), a.b(5), /*bidirectional=*/false, a.b(6, true));
       return wrapList(a.env(), {std::get<0>(r), std::get<1>(r)});
     }},

    // ---- conversion ----
    {"to",
     [](const Args& a) {
       auto& x = T(0);
       auto dt = a.optDtype(1).value_or(x.scalar_type());
       auto dev = a.has(2) ? a.device(2) : x.device();
       return W(x.to(dev, dt, /*non_blocking=*/false, /*copy=*/a.b(3)));
     }},

    // ---- creation ----
    {"full", [](const Args& a) { return W(at::full(a.ints(0), a.scalar(1), opts(a, 2, 3))); }},
    {"arange",
     [](const Args& a) { return W(at::arange(a.scalar(0), a.scalar(1), a.scalar(2), opts(a, 3, 4, at::kLong))); }},
    {"eye", [](const Args& a) { return W(at::eye(a.i64(0), opts(a, 1, 2))); }},
    {"randn",
     [](const Args& a) {
       return W(sampleOnGeneratorDevice(a.generator(3), opts(a, 1, 2), [&](auto gen, auto o) { return at::randn(a.ints(0), gen, o); }));
     }},
    {"rand",
     [](const Args& a) {
       return W(sampleOnGeneratorDevice(a.generator(3), opts(a, 1, 2), [&](auto gen, auto o) { return at::rand(a.ints(0), gen, o); }));
     }},
    {"randint",
     [](const Args& a) {
       auto gen = a.generator(4);
       auto o = at::TensorOptions().dtype(at::kLong).device(a.device(3));
       return W(at::randint(a.i64(0), a.i64(1), a.ints(2), gen, o));
     }},
    {"multinomial",
     [](const Args& a) {
       auto gen = a.generator(3);
       return W(at::multinomial(T(0), a.i64(1), a.b(2), gen));
     }},
    {"generator",
     [](const Args& a) {
       auto g = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(a.i64(0)));
       return wrapGenerator(a.env(), g);
     }},
    {"manual_seed",
     [](const Args& a) {
       torch::manual_seed(static_cast<uint64_t>(a.i64(0)));
       return a.env().Undefined();
     }},

    // ---- in-place (parameter init, loading, optimizer-free updates) ----
    {"copy_",
     [](const Args& a) {
       at::NoGradGuard guard;
       T(0).copy_(T(1));
       return a.env().Undefined();
     }},
    {"fill_",
     [](const Args& a) {
       at::NoGradGuard guard;
       T(0).fill_(a.scalar(1));
       return a.env().Undefined();
     }},
    {"normal_",
     [](const Args& a) {
       at::NoGradGuard guard;
       auto gen = a.generator(3);
       T(0).normal_(a.f64(1), a.f64(2), gen);
       return a.env().Undefined();
     }},
    {"uniform_",
     [](const Args& a) {
       at::NoGradGuard guard;
       auto gen = a.generator(3);
       T(0).uniform_(a.f64(1), a.f64(2), gen);
       return a.env().Undefined();
     }},
    {"add_",
     [](const Args& a) {
       at::NoGradGuard guard;
       T(0).add_(T(1), a.has(2) ? a.scalar(2) : at::Scalar(1));
       return a.env().Undefined();
     }},
    {"mul_scalar_",
     [](const Args& a) {
       at::NoGradGuard guard;
       T(0).mul_(a.scalar(1));
       return a.env().Undefined();
     }},
    // mm_out(out, a, b): a @ b written into out, which must already be [a.rows, b.cols] (ATen would
    // resize a wrong one with only a warning).
    {"mm_out",
     [](const Args& a) {
       auto &out = T(0), &x = T(1), &y = T(2);
       if (x.dim() != 2 || y.dim() != 2) a.fail("mm_out needs 2-D operands");
       if (out.dim() != 2 || out.size(0) != x.size(0) || out.size(1) != y.size(1)) {
         a.fail("out must be [" + std::to_string(x.size(0)) + ", " + std::to_string(y.size(1)) + "]");
       }
       at::NoGradGuard guard;
       at::mm_out(out, x, y);
       return a.env().Undefined();
     }},
});

#undef T
#undef W

}  // namespace
}  // namespace lr3
