// torch's float32 tensor `sqrt` for Swift: one function over the emulations of sqrt_emulation.h.
#include "sqrt_emulation.h"

float lockstep_torch_sqrtf(lockstep_sqrt implementation, float x) { return lockstep_sqrtf_as(implementation, x); }
