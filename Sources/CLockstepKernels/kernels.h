// The element loops, written once for a scalar type `T`: `kernels.c` includes this file
// once for float (`S(name)` = `name_f32`) and once for double (`name_f64`).
//
// Each loop is compiled three times (baseline, AVX2, AVX-512) from one always-inlined
// body, and the public function calls the variant `lockstep_kernel_isa()` chose. The
// bodies are the Swift kernels' element rules operation for operation. No product is
// contracted into a multiply-add unless the rule says so: `kernels.c` turns contraction
// off, and a rule's multiply-add is `fused_multiply_add`.

/// `a·b + c`: one rounding where torch's kernel fuses it, two where not (TorchOps.fusedMultiplyAdd).
static inline __attribute__((always_inline)) T S(fused_multiply_add)(T a, T b, T c, bool fused) {
  return fused ? __builtin_elementwise_fma(a, b, c) : c + a * b;
}

/// torch's `lerp(self, end, weight)` (TorchOps.lerp).
static inline __attribute__((always_inline)) T S(lerp)(T start, T end, T weight, bool fused) {
  T difference = end - start;
  T magnitude = weight < 0 ? -weight : weight;
  if (magnitude < (T)0.5) return S(fused_multiply_add)(weight, difference, start, fused);
  return S(fused_multiply_add)(weight - 1, difference, end, fused);
}

/// `torch.maximum`: NaN if either is NaN (TorchOps.maximum).
static inline __attribute__((always_inline)) T S(maximum)(T a, T b) {
  if (a != a || b != b) return (T)__builtin_nanf("");  // the canonical NaN, as Swift's .nan
  return a < b ? b : a;
}

// MARK: Adam and AdamW (AdamKernel.element)

static inline __attribute__((always_inline)) void S(adam_element)(
    T *restrict param, const T *restrict grad, T *restrict m, T *restrict v, T *restrict vmax, const S(adam_k) k,
    bool maximize, bool decoupled, bool l2, bool fma, int64_t i, bool epilogue, bool simd_maximum, bool amsgrad,
    lockstep_sqrt sqrt) {
  T loaded = grad[i], p = param[i], m_previous = m[i], v_previous = v[i];
  T g = maximize ? -loaded : loaded;
  T theta = p;
  if (decoupled) {
    theta = theta * k.decay;                                            // param.mul_(1 - lr * wd)
  } else if (l2) {
    g = S(fused_multiply_add)(theta, k.l2, g, fma);                     // grad.add(param, alpha=wd)
  }
  T m_new = S(lerp)(m_previous, g, k.lerp_weight, fma);                 // exp_avg.lerp_(grad, 1 - beta1)
  T scaled = k.one_minus_beta2 * g;
  T v_new;
  if (!fma) {
    v_new = v_previous * k.beta2 + scaled * g;                          // each rounded (DEFAULT)
  } else if (!epilogue) {
    v_new = __builtin_elementwise_fma(scaled, g, v_previous * k.beta2); // exp_avg_sq.mul_(b2).addcmul_(g, g, value=c2)
  } else {
    v_new = __builtin_elementwise_fma(v_previous, k.beta2, scaled * g); // fused kernel: scalar epilogue
  }
  m[i] = m_new;
  v[i] = v_new;
  T second = v_new;
  if (amsgrad) {
    T previous = vmax[i];
    second = simd_maximum ? S(maximum)(previous, v_new) : (previous < v_new ? v_new : previous);
    vmax[i] = second;                                                   // torch.maximum(max_exp_avg_sq, exp_avg_sq)
  }
  T denom = S(tensor_sqrt)(second, sqrt) / k.bias_correction2_sqrt + k.eps;  // (v.sqrt() / bc2_sqrt).add_(eps)
  param[i] = theta + k.negative_step_size * m_new / denom;             // param.addcdiv_(m, denom, value=-step_size)
}

/// The SIMD body (or the whole for-loop path) with constant flags, so it vectorises.
static inline __attribute__((always_inline)) void S(adam_body)(
    T *restrict param, const T *restrict grad, T *restrict m, T *restrict v, T *restrict vmax, const S(adam_k) k,
    bool maximize, bool decoupled, bool l2, bool fma, bool amsgrad, lockstep_sqrt sqrt, int64_t start, int64_t end) {
  for (int64_t i = start; i < end; i++) {
    S(adam_element)(param, grad, m, v, vmax, k, maximize, decoupled, l2, fma, i, false, true, amsgrad, sqrt);
  }
}

static inline __attribute__((always_inline)) void S(adam_loop)(
    T *restrict param, const T *restrict grad, T *restrict m, T *restrict v, T *restrict vmax, const S(adam_k) *kp,
    const lockstep_adam_flags *f, int64_t start, int64_t end) {
  const S(adam_k) k = *kp;
  int64_t body_end = end < f->body_end ? end : (start > f->body_end ? start : f->body_end);
  bool amsgrad = vmax != NULL;
  const lockstep_sqrt exact = LOCKSTEP_SQRT_CORRECTLY_ROUNDED;
  // The usual configurations, spelled with constant flags.
  if (!amsgrad && f->fma && !f->maximize && f->sqrt == exact) {
    if (f->decoupled_decay) {
      S(adam_body)(param, grad, m, v, NULL, k, false, true, false, true, false, exact, start, body_end);
    } else if (f->l2) {
      S(adam_body)(param, grad, m, v, NULL, k, false, false, true, true, false, exact, start, body_end);
    } else {
      S(adam_body)(param, grad, m, v, NULL, k, false, false, false, true, false, exact, start, body_end);
    }
  } else if (!amsgrad) {
    S(adam_body)(param, grad, m, v, NULL, k, f->maximize, f->decoupled_decay, f->l2, f->fma, false, f->sqrt, start,
                 body_end);
  } else {
    S(adam_body)(param, grad, m, v, vmax, k, f->maximize, f->decoupled_decay, f->l2, f->fma, true, f->sqrt, start,
                 body_end);
  }
  for (int64_t i = body_end; i < end; i++) {
    S(adam_element)(param, grad, m, v, vmax, k, f->maximize, f->decoupled_decay, f->l2, f->fma, i,
                    f->fma && i >= f->epilogue_start, false, amsgrad, f->sqrt);
  }
}

// MARK: SGD (SGD.Kernel.element)

static inline __attribute__((always_inline)) void S(sgd_element)(
    T *restrict param, const T *restrict grad, T *restrict buffer, const S(sgd_k) k, bool maximize, bool decays,
    bool nesterov, bool fma, int64_t i, bool momentum, bool starts, bool epilogue) {
  T theta = param[i], loaded = grad[i];
  T g = maximize ? -loaded : loaded;
  if (decays) g = S(fused_multiply_add)(theta, k.weight_decay, g, fma);  // grad.add(param, alpha=wd)
  if (momentum) {
    T previous = buffer[i];
    T value;
    if (starts) {
      value = g;                                                          // buf = grad.clone()
    } else if (!epilogue) {
      value = S(fused_multiply_add)(g, k.dampened, previous * k.momentum, fma);  // buf.mul_(m).add_(g, alpha=1-d)
    } else {
      value = __builtin_elementwise_fma(previous, k.momentum, g * k.dampened);  // fused: scalar epilogue
    }
    buffer[i] = value;
    g = nesterov ? S(fused_multiply_add)(value, k.momentum, g, fma) : value;  // grad.add(buf, alpha=m) or buf
  }
  param[i] = S(fused_multiply_add)(g, k.negative_lr, theta, fma);          // param.add_(grad, alpha=-lr)
}

static inline __attribute__((always_inline)) void S(sgd_body)(
    T *restrict param, const T *restrict grad, T *restrict buffer, const S(sgd_k) k, bool maximize, bool decays,
    bool nesterov, bool fma, bool momentum, bool starts, int64_t start, int64_t end) {
  for (int64_t i = start; i < end; i++) {
    S(sgd_element)(param, grad, buffer, k, maximize, decays, nesterov, fma, i, momentum, starts, false);
  }
}

static inline __attribute__((always_inline)) void S(sgd_loop)(
    T *restrict param, const T *restrict grad, T *restrict buffer, const S(sgd_k) *kp, const lockstep_sgd_flags *f,
    int64_t start, int64_t end) {
  const S(sgd_k) k = *kp;
  int64_t body_end = end < f->epilogue_start ? end : (start > f->epilogue_start ? start : f->epilogue_start);
  bool momentum = buffer != NULL;
  if (momentum && !f->starts_buffer && f->fma && !f->maximize && !f->nesterov) {
    if (f->weight_decay) {
      S(sgd_body)(param, grad, buffer, k, false, true, false, true, true, false, start, body_end);
    } else {
      S(sgd_body)(param, grad, buffer, k, false, false, false, true, true, false, start, body_end);
    }
  } else if (momentum) {
    S(sgd_body)(param, grad, buffer, k, f->maximize, f->weight_decay, f->nesterov, f->fma, true, f->starts_buffer, start,
                body_end);
  } else {
    S(sgd_body)(param, grad, NULL, k, f->maximize, f->weight_decay, f->nesterov, f->fma, false, false, start, body_end);
  }
  for (int64_t i = body_end; i < end; i++) {
    S(sgd_element)(param, grad, buffer, k, f->maximize, f->weight_decay, f->nesterov, f->fma, i, momentum,
                   f->starts_buffer, true);
  }
}

// MARK: Adagrad (Adagrad.Kernel.element)

static inline __attribute__((always_inline)) void S(adagrad_element)(
    T *restrict param, const T *restrict grad, T *restrict sum, const S(adagrad_k) k, bool maximize, bool decays,
    bool fma, lockstep_sqrt sqrt, int64_t i) {
  T theta = param[i], loaded = grad[i], previous = sum[i];
  T g = maximize ? -loaded : loaded;
  if (decays) g = S(fused_multiply_add)(theta, k.weight_decay, g, fma);  // grad.add(param, alpha=wd)
  T new_sum = S(fused_multiply_add)(g, g, previous, fma);               // state_sum.addcmul_(grad, grad, value=1)
  T std = S(tensor_sqrt)(new_sum, sqrt) + k.eps;                        // state_sum.sqrt().add_(eps)
  sum[i] = new_sum;
  param[i] = theta + k.negative_lr * g / std;                           // param.addcdiv_(grad, std, value=-clr)
}

static inline __attribute__((always_inline)) void S(adagrad_body)(
    T *restrict param, const T *restrict grad, T *restrict sum, const S(adagrad_k) k, bool maximize, bool decays,
    bool fma, lockstep_sqrt sqrt, int64_t start, int64_t end) {
  for (int64_t i = start; i < end; i++) S(adagrad_element)(param, grad, sum, k, maximize, decays, fma, sqrt, i);
}

static inline __attribute__((always_inline)) void S(adagrad_loop)(
    T *restrict param, const T *restrict grad, T *restrict sum, const S(adagrad_k) *kp, const lockstep_adagrad_flags *f,
    int64_t start, int64_t end) {
  const S(adagrad_k) k = *kp;
  const lockstep_sqrt exact = LOCKSTEP_SQRT_CORRECTLY_ROUNDED;
  if (f->fma && !f->maximize && f->sqrt == exact) {
    if (f->decays) {
      S(adagrad_body)(param, grad, sum, k, false, true, true, exact, start, end);
    } else {
      S(adagrad_body)(param, grad, sum, k, false, false, true, exact, start, end);
    }
  } else {
    S(adagrad_body)(param, grad, sum, k, f->maximize, f->decays, f->fma, f->sqrt, start, end);
  }
}

// MARK: The variants and the dispatch

#define LOCKSTEP_VARIANTS(name, params, args)                                                                          \
  static void S(name##_baseline) params { S(name##_loop) args; }                                                      \
  LOCKSTEP_AVX2_TARGET static void S(name##_avx2) params { S(name##_loop) args; }                                     \
  LOCKSTEP_AVX512_TARGET static void S(name##_avx512) params { S(name##_loop) args; }                                 \
  void S(lockstep_##name) params {                                                                                     \
    switch (lockstep_kernel_isa()) {                                                                                   \
    case LOCKSTEP_ISA_AVX512: LOCKSTEP_IF_X86(S(name##_avx512) args; return;)                                          \
    case LOCKSTEP_ISA_AVX2: LOCKSTEP_IF_X86(S(name##_avx2) args; return;)                                              \
    default: S(name##_baseline) args;                                                                                  \
    }                                                                                                                  \
  }

LOCKSTEP_VARIANTS(adam,
                  (T * param, const T *grad, T *m, T *v, T *vmax, const S(adam_k) * k, const lockstep_adam_flags *f,
                   int64_t start, int64_t end),
                  (param, grad, m, v, vmax, k, f, start, end))
LOCKSTEP_VARIANTS(sgd,
                  (T * param, const T *grad, T *buffer, const S(sgd_k) * k, const lockstep_sgd_flags *f, int64_t start,
                   int64_t end),
                  (param, grad, buffer, k, f, start, end))
LOCKSTEP_VARIANTS(adagrad,
                  (T * param, const T *grad, T *sum, const S(adagrad_k) * k, const lockstep_adagrad_flags *f,
                   int64_t start, int64_t end),
                  (param, grad, sum, k, f, start, end))

#undef LOCKSTEP_VARIANTS
