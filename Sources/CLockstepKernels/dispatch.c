// Which instruction set the kernels run with: chosen once from the CPU (or from
// LOCKSTEP_KERNEL_ISA), as ATen's DispatchStub does with ATEN_CPU_CAPABILITY.
#include "CLockstepKernels.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

bool lockstep_kernel_isa_supported(lockstep_isa isa) {
  switch (isa) {
  case LOCKSTEP_ISA_BASELINE:
    return true;
#if defined(__x86_64__) || defined(__i386__)
  case LOCKSTEP_ISA_AVX2:
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  case LOCKSTEP_ISA_AVX512:
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  default:
    return false;
  }
}

/// -1 until chosen.
static _Atomic int selected = -1;

static lockstep_isa choose(void) {
  const char *asked = getenv("LOCKSTEP_KERNEL_ISA");
  lockstep_isa best = lockstep_kernel_isa_supported(LOCKSTEP_ISA_AVX512) ? LOCKSTEP_ISA_AVX512
                      : lockstep_kernel_isa_supported(LOCKSTEP_ISA_AVX2) ? LOCKSTEP_ISA_AVX2
                                                                         : LOCKSTEP_ISA_BASELINE;
  if (asked == NULL) return best;
  lockstep_isa wanted = strcmp(asked, "avx512") == 0 ? LOCKSTEP_ISA_AVX512
                        : strcmp(asked, "avx2") == 0 ? LOCKSTEP_ISA_AVX2
                        : strcmp(asked, "baseline") == 0 || strcmp(asked, "default") == 0 ? LOCKSTEP_ISA_BASELINE
                                                                                          : best;
  // An instruction set the CPU lacks would trap: the best it has instead.
  return lockstep_kernel_isa_supported(wanted) ? wanted : best;
}

lockstep_isa lockstep_kernel_isa(void) {
  int isa = atomic_load_explicit(&selected, memory_order_relaxed);
  if (isa < 0) {
    isa = (int)choose();
    atomic_store_explicit(&selected, isa, memory_order_relaxed);
  }
  return (lockstep_isa)isa;
}

bool lockstep_set_kernel_isa(lockstep_isa isa) {
  if (!lockstep_kernel_isa_supported(isa)) return false;
  atomic_store_explicit(&selected, (int)isa, memory_order_relaxed);
  return true;
}
