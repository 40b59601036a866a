// The element loops of Lockstep's memory-bound kernels (Adam and AdamW, SGD, Adagrad),
// compiled for several instruction sets and chosen once at run time from the CPU, as ATen
// does: a default release build is fast without compiler flags.
//
// The instruction set chosen for speed never changes a result: where torch's kernel for
// the reproduced capability fuses a multiply-add (AVX2, AVX-512), every variant fuses it
// (an `fma` instruction, or the C library's correctly rounded `fma` on a CPU without one);
// where it rounds twice (DEFAULT), every variant rounds twice. Each loop is the Swift
// optimizer's element rule, operation for operation; the rule, its sources and torch's
// operation order are documented on the Swift side (`AdamKernel`, `SGD`, `Adagrad`).
#ifndef CLOCKSTEP_KERNELS_H
#define CLOCKSTEP_KERNELS_H

#include <stdbool.h>
#include <stdint.h>

/// The instruction sets the kernels are compiled for.
typedef enum {
  LOCKSTEP_ISA_BASELINE = 0,  // the target's baseline: SSE2 on x86-64, NEON (with FMA) on arm64
  LOCKSTEP_ISA_AVX2 = 1,      // AVX2 with FMA
  LOCKSTEP_ISA_AVX512 = 2,    // AVX-512 F, VL, BW, DQ
} lockstep_isa;

/// The instruction set the kernels run with: the best the CPU has, or the one
/// `LOCKSTEP_KERNEL_ISA` (`baseline`, `avx2`, `avx512`) asks for, if the CPU has it.
lockstep_isa lockstep_kernel_isa(void);
/// Whether this CPU can run `isa`'s variant.
bool lockstep_kernel_isa_supported(lockstep_isa isa);
/// Runs the kernels with `isa` from now on; false (and no change) if the CPU lacks it.
bool lockstep_set_kernel_isa(lockstep_isa isa);

// MARK: torch's tensor sqrt

/// How the reference host's torch computed a float32 tensor `sqrt` (Swift's `TorchSqrt`).
typedef enum {
  LOCKSTEP_SQRT_CORRECTLY_ROUNDED = 0,  // IEEE 754 `sqrt`
  LOCKSTEP_SQRT_MKL_ZEN4 = 1,           // MKL's generic `vsSqrt`, seeded by AMD Zen 4's `rsqrtps`
} lockstep_sqrt;

/// torch's float32 tensor `sqrt` of `x` as `implementation` computes it.
float lockstep_torch_sqrtf(lockstep_sqrt implementation, float x);

// MARK: Adam and AdamW

typedef struct {
  float decay, l2, lerp_weight, beta2, one_minus_beta2, bias_correction2_sqrt, eps, negative_step_size;
} lockstep_adam_coefficients_f32;
typedef struct {
  double decay, l2, lerp_weight, beta2, one_minus_beta2, bias_correction2_sqrt, eps, negative_step_size;
} lockstep_adam_coefficients_f64;
typedef struct {
  bool maximize, decoupled_decay, l2, fma;
  /// The float32 `exp_avg_sq.sqrt()` of the for-loop path (the fused kernel's is correctly rounded).
  lockstep_sqrt sqrt;
  /// The fused kernel's regions (positions in the whole tensor): SIMD body below
  /// `body_end`, scalar epilogue from `epilogue_start` (both the count on the for-loop path).
  int64_t body_end, epilogue_start;
} lockstep_adam_flags;

/// Elements [start, end) of one Adam/AdamW step; `vmax` is NULL without amsgrad.
void lockstep_adam_f32(float *param, const float *grad, float *m, float *v, float *vmax,
                       const lockstep_adam_coefficients_f32 *k, const lockstep_adam_flags *f, int64_t start,
                       int64_t end);
void lockstep_adam_f64(double *param, const double *grad, double *m, double *v, double *vmax,
                       const lockstep_adam_coefficients_f64 *k, const lockstep_adam_flags *f, int64_t start,
                       int64_t end);

// MARK: SGD

typedef struct {
  float weight_decay, momentum, dampened, negative_lr;
} lockstep_sgd_coefficients_f32;
typedef struct {
  double weight_decay, momentum, dampened, negative_lr;
} lockstep_sgd_coefficients_f64;
typedef struct {
  bool maximize, weight_decay, nesterov, starts_buffer, fma;
  /// Where the fused kernel's scalar epilogue begins (the count on the for-loop path).
  int64_t epilogue_start;
} lockstep_sgd_flags;

/// Elements [start, end) of one SGD step; `buffer` is NULL without momentum.
void lockstep_sgd_f32(float *param, const float *grad, float *buffer, const lockstep_sgd_coefficients_f32 *k,
                      const lockstep_sgd_flags *f, int64_t start, int64_t end);
void lockstep_sgd_f64(double *param, const double *grad, double *buffer, const lockstep_sgd_coefficients_f64 *k,
                      const lockstep_sgd_flags *f, int64_t start, int64_t end);

// MARK: Adagrad

typedef struct {
  float negative_lr, weight_decay, eps;
} lockstep_adagrad_coefficients_f32;
typedef struct {
  double negative_lr, weight_decay, eps;
} lockstep_adagrad_coefficients_f64;
typedef struct {
  bool maximize, decays, fma;
  /// The float32 `state_sum.sqrt()`.
  lockstep_sqrt sqrt;
} lockstep_adagrad_flags;

/// Elements [start, end) of one Adagrad step.
void lockstep_adagrad_f32(float *param, const float *grad, float *sum, const lockstep_adagrad_coefficients_f32 *k,
                          const lockstep_adagrad_flags *f, int64_t start, int64_t end);
void lockstep_adagrad_f64(double *param, const double *grad, double *sum, const lockstep_adagrad_coefficients_f64 *k,
                          const lockstep_adagrad_flags *f, int64_t start, int64_t end);

#endif
