// torch's CPU tensor `sqrt` as MKL computes it, for the kernels and for Swift
// (`lockstep_torch_sqrtf`). The rule, its sources and how it was measured:
// docs/numerics/torch-sqrt.md.
#ifndef LOCKSTEP_SQRT_EMULATION_H
#define LOCKSTEP_SQRT_EMULATION_H

#include <stdint.h>
#include <string.h>

#include "CLockstepKernels.h"

/// `rsqrtps` of AMD Zen 4, measured by `tools/sqrt/measure zen4` (rsqrtps_zen4.c).
extern const uint32_t lockstep_rsqrtps_zen4[8192];

/// `rsqrtps(x)` from a measured table, for a positive normal `x` (exponent parity and the top
/// 12 mantissa bits pick the entry for [1, 4); the rest is an exact power-of-4 scaling).
static inline __attribute__((always_inline)) float lockstep_rsqrtps_from(const uint32_t *table, float x) {
  uint32_t b;
  memcpy(&b, &x, 4);
  int32_t e = (int32_t)(b >> 23) - 127, parity = e & 1, k = (e - parity) / 2;
  uint32_t r = table[((uint32_t)parity << 12) | ((b & 0x7fffffu) >> 11)];
  r = (r & 0x807fffffu) | ((uint32_t)((int32_t)(r >> 23) - k) << 23);
  float y;
  memcpy(&y, &r, 4);
  return y;
}

/// MKL 2024's generic float32 `vsSqrt` (the `EXHAynn` kernel it runs on CPUs that are not
/// Intel's), seeded by `table`'s `rsqrtps`. Every operation rounds on its own.
static inline __attribute__((always_inline)) float lockstep_mkl_sqrtf(const uint32_t *table, float x) {
#pragma clang fp contract(off)
  uint32_t b;
  memcpy(&b, &x, 4);
  if ((int32_t)(b + 0x7f800000u) > (int32_t)0xfefff000u) {  // not in [0x00800000, 0x7f7ff000]
    if (x != x) return x + x;                                // NaN: quieted, payload kept
    if (x == 0) return x;                                    // ±0
    if (b >> 31) {                                           // negative, -inf: MKL's +NaN
      uint32_t nan = 0x7fc00000u;
      float out;
      memcpy(&out, &nan, 4);
      return out;
    }
    return __builtin_sqrtf(x);  // subnormal, the top binade, +inf: correctly rounded
  }
  float y = lockstep_rsqrtps_from(table, x);
  float g = y * x, h = y * 0.5f;
  float r = 0.5f - g * h;
  float g2 = g * r + g, h2 = r * h + h;
  float d = x - g2 * g2;
  return d * h2 + g2;
}

/// torch's float32 tensor `sqrt` as `implementation` computes it.
static inline __attribute__((always_inline)) float lockstep_sqrtf_as(lockstep_sqrt implementation, float x) {
  switch (implementation) {
  case LOCKSTEP_SQRT_MKL_ZEN4: return lockstep_mkl_sqrtf(lockstep_rsqrtps_zen4, x);
  default: return __builtin_sqrtf(x);
  }
}

#endif
