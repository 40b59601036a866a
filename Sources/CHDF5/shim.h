// The parts of HDF5's C API that Swift cannot import directly: macros that expand to
// global handles (H5T_NATIVE_FLOAT, H5P_DEFAULT, ...), wrapped as static inline functions;
// and a vectorised Fletcher-32 for reading checksummed chunks whole (HDF5Dataset.readRow).
#ifndef LOCKSTEP_CHDF5_SHIM_H
#define LOCKSTEP_CHDF5_SHIM_H

#include <hdf5.h>
#include <stdint.h>
#include <string.h>

static inline hid_t lockstep_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t lockstep_h5s_all(void) { return H5S_ALL; }
static inline hid_t lockstep_h5e_default(void) { return H5E_DEFAULT; }
static inline unsigned lockstep_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned lockstep_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned lockstep_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline hid_t lockstep_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t lockstep_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t lockstep_h5p_group_create(void) { return H5P_GROUP_CREATE; }
static inline hid_t lockstep_h5p_file_create(void) { return H5P_FILE_CREATE; }
static inline hid_t lockstep_h5p_attribute_create(void) { return H5P_ATTRIBUTE_CREATE; }
static inline hid_t lockstep_h5p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t lockstep_h5p_link_access(void) { return H5P_LINK_ACCESS; }

static inline hid_t lockstep_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t lockstep_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t lockstep_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t lockstep_h5t_native_int8(void) { return H5T_NATIVE_INT8; }
static inline hid_t lockstep_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t lockstep_h5t_native_uint32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t lockstep_h5t_std_u32le(void) { return H5T_STD_U32LE; }
static inline hid_t lockstep_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t lockstep_h5t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t lockstep_h5t_std_u8le(void) { return H5T_STD_U8LE; }
static inline hid_t lockstep_h5t_std_i8le(void) { return H5T_STD_I8LE; }
static inline hid_t lockstep_h5t_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t lockstep_h5t_c_s1(void) { return H5T_C_S1; }
static inline size_t lockstep_h5t_variable(void) { return H5T_VARIABLE; }

// HDF5's Fletcher-32 checksum (H5_checksum_fletcher32, the `fletcher32` filter's), to
// the bit: 16-bit big-endian words, both sums folded to 17 bits after every 360 words and
// at the end, an odd trailing byte as the high byte of a last word. The system HDF5's own
// loop is scalar (about 3 GB/s); this one sums 8 words per vector step. Within a block of n
// words HDF5 adds `sum1 += w[i]; sum2 += sum1`, which is sum2 += n * sum1 + sum_i (n - i) w[i]
// and sum1 += sum_i w[i], mod 2^32 as its 32-bit loop is: lanes l = i mod 8 accumulate
// S[l] = sum_j w[8j + l] and P[l] = sum_j (m - j) w[8j + l] over m vectors, and
// sum_i (n - i) w[i] = 8 * sum_l P[l] - sum_l l * S[l] for n = 8m.
typedef uint16_t lockstep_u16x8 __attribute__((vector_size(16)));
typedef uint32_t lockstep_u32x8 __attribute__((vector_size(32)));

static inline uint32_t lockstep_fletcher32(const void *data, size_t length) {
    const uint8_t *bytes = (const uint8_t *)data;
    size_t words = length / 2;
    uint32_t sum1 = 0, sum2 = 0;
    while (words) {
        size_t block = words > 360 ? 360 : words;
        words -= block;
        size_t vectors = block / 8;
        lockstep_u32x8 lane_sum = {0}, lane_weighted = {0};
        for (size_t j = 0; j < vectors; j++) {
            lockstep_u16x8 v;
            memcpy(&v, bytes, sizeof v);
            v = (lockstep_u16x8)((v << 8) | (v >> 8));
            lane_sum += __builtin_convertvector(v, lockstep_u32x8);
            lane_weighted += lane_sum;
            bytes += sizeof v;
        }
        uint32_t s = 0, p = 0, q = 0;
        for (uint32_t l = 0; l < 8; l++) {
            s += lane_sum[l];
            p += lane_weighted[l];
            q += l * lane_sum[l];
        }
        sum2 += (uint32_t)(vectors * 8) * sum1 + 8 * p - q;
        sum1 += s;
        for (size_t i = vectors * 8; i < block; i++) {
            sum1 += ((uint32_t)bytes[0] << 8) | bytes[1];
            bytes += 2;
            sum2 += sum1;
        }
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    }
    if (length % 2) {
        sum1 += (uint32_t)bytes[0] << 8;
        sum2 += sum1;
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    }
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    return (sum2 << 16) | sum1;
}

#endif
