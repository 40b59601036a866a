// Instantiates `kernels.h` for float and double, for each instruction set.
#include "CLockstepKernels.h"

#include <stddef.h>

#include "sqrt_emulation.h"

// A product is contracted into a multiply-add only where a rule says so.
#pragma clang fp contract(off)

#if defined(__x86_64__) || defined(__i386__)
#define LOCKSTEP_AVX2_TARGET __attribute__((target("avx2,fma")))
#define LOCKSTEP_AVX512_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#define LOCKSTEP_IF_X86(...) __VA_ARGS__
#else
// One variant elsewhere (arm64: NEON, FMA in the baseline); the others are never chosen.
#define LOCKSTEP_AVX2_TARGET __attribute__((unused))
#define LOCKSTEP_AVX512_TARGET __attribute__((unused))
#define LOCKSTEP_IF_X86(...)
#endif

/// torch's tensor `sqrt`: float32 as the reference's implementation computes it; float64
/// correctly rounded (MKL's float64 kernel is not reproduced).
static inline __attribute__((always_inline)) float tensor_sqrt_f32(float x, lockstep_sqrt sqrt) {
  return sqrt == LOCKSTEP_SQRT_CORRECTLY_ROUNDED ? __builtin_elementwise_sqrt(x) : lockstep_sqrtf_as(sqrt, x);
}
static inline __attribute__((always_inline)) double tensor_sqrt_f64(double x, lockstep_sqrt sqrt) {
  (void)sqrt;
  return __builtin_elementwise_sqrt(x);
}

#define T float
#define S(name) name##_f32
typedef lockstep_adam_coefficients_f32 adam_k_f32;
typedef lockstep_sgd_coefficients_f32 sgd_k_f32;
typedef lockstep_adagrad_coefficients_f32 adagrad_k_f32;
#include "kernels.h"
#undef S
#undef T

#define T double
#define S(name) name##_f64
typedef lockstep_adam_coefficients_f64 adam_k_f64;
typedef lockstep_sgd_coefficients_f64 sgd_k_f64;
typedef lockstep_adagrad_coefficients_f64 adagrad_k_f64;
#include "kernels.h"
#undef S
#undef T
