// CRC-32C: see include/CLockstepDigest.h. The hardware loop follows Mark Adler's
// crc32c.c (zlib's author): three streams of `crc32` instructions run at once, each over
// its own third of a block, and are joined by shifting a stream's CRC past the bytes after
// it ("CRC of zeros" tables), since one instruction's latency is three cycles.
#include "CLockstepDigest.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <nmmintrin.h>
#define LOCKSTEP_CRC_X86 1
#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#include <arm_acle.h>
#define LOCKSTEP_CRC_ARM 1
#endif

#define POLY 0x82f63b78u
// Block sizes of the three-stream loop: a long block for large buffers, a short one for
// the rest; the tables shift a CRC past one stream's share of each.
#define LONG_BLOCK 8192
#define SHORT_BLOCK 256

static uint32_t table[8][256];
static uint32_t shift_long[4][256];
static uint32_t shift_short[4][256];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

// The register after `count` zero bytes from `crc` (no inversion), a byte at a time.
static uint32_t zeros_slow(uint32_t crc, size_t count) {
    while (count--) crc = table[0][crc & 0xff] ^ (crc >> 8);
    return crc;
}

// Shifting past zeros is linear in the register: tabulate it a byte of the register at a time.
static void make_shift(uint32_t shift[4][256], size_t count) {
    uint32_t basis[32];
    for (int bit = 0; bit < 32; bit++) basis[bit] = zeros_slow(1u << bit, count);
    for (int part = 0; part < 4; part++) {
        for (uint32_t byte = 0; byte < 256; byte++) {
            uint32_t value = 0;
            for (int bit = 0; bit < 8; bit++) {
                if (byte & (1u << bit)) value ^= basis[8 * part + bit];
            }
            shift[part][byte] = value;
        }
    }
}

static void make_tables(void) {
    for (uint32_t byte = 0; byte < 256; byte++) {
        uint32_t crc = byte;
        for (int k = 0; k < 8; k++) crc = crc & 1 ? (crc >> 1) ^ POLY : crc >> 1;
        table[0][byte] = crc;
    }
    for (uint32_t byte = 0; byte < 256; byte++) {
        uint32_t crc = table[0][byte];
        for (int k = 1; k < 8; k++) {
            crc = table[0][crc & 0xff] ^ (crc >> 8);
            table[k][byte] = crc;
        }
    }
    make_shift(shift_long, LONG_BLOCK);
    make_shift(shift_short, SHORT_BLOCK);
}

static inline void ensure_tables(void) { pthread_once(&tables_once, make_tables); }

static inline uint32_t shift(uint32_t tables[4][256], uint32_t crc) {
    return tables[0][crc & 0xff] ^ tables[1][(crc >> 8) & 0xff] ^ tables[2][(crc >> 16) & 0xff] ^ tables[3][crc >> 24];
}

static inline uint64_t load64(const uint8_t *bytes) {
    uint64_t word;
    memcpy(&word, bytes, sizeof word);
    return word;  // little-endian hosts only: every platform Lockstep builds for
}

uint32_t lockstep_crc32c_portable(uint32_t crc, const void *data, size_t length) {
    ensure_tables();
    const uint8_t *bytes = data;
    uint64_t c = ~crc;
    while (length >= 8) {
        c ^= load64(bytes);
        c = table[7][c & 0xff] ^ table[6][(c >> 8) & 0xff] ^ table[5][(c >> 16) & 0xff] ^ table[4][(c >> 24) & 0xff]
            ^ table[3][(c >> 32) & 0xff] ^ table[2][(c >> 40) & 0xff] ^ table[1][(c >> 48) & 0xff] ^ table[0][c >> 56];
        bytes += 8;
        length -= 8;
    }
    while (length--) c = table[0][(c ^ *bytes++) & 0xff] ^ (c >> 8);
    return ~(uint32_t)c;
}

#if LOCKSTEP_CRC_X86
#define CRC_TARGET __attribute__((target("sse4.2")))
#define CRC_WORD(c, w) _mm_crc32_u64((c), (w))
#define CRC_BYTE(c, b) _mm_crc32_u8((uint32_t)(c), (b))
#elif LOCKSTEP_CRC_ARM
#define CRC_TARGET
#define CRC_WORD(c, w) __crc32cd((uint32_t)(c), (w))
#define CRC_BYTE(c, b) __crc32cb((uint32_t)(c), (b))
#endif

#ifdef CRC_TARGET
// Three streams over blocks of 3 * `block` bytes while they last, each stream over its own
// third; the first stream's CRC is then shifted past the other two's bytes and joined.
CRC_TARGET static inline __attribute__((always_inline)) uint64_t three_streams(
    uint64_t c0, const uint8_t **bytes, size_t *length, size_t block, uint32_t shift_block[4][256]) {
    const uint8_t *p = *bytes;
    while (*length >= 3 * block) {
        uint64_t c1 = 0, c2 = 0;
        const uint8_t *end = p + block;
        do {
            c0 = CRC_WORD(c0, load64(p));
            c1 = CRC_WORD(c1, load64(p + block));
            c2 = CRC_WORD(c2, load64(p + 2 * block));
            p += 8;
        } while (p < end);
        c0 = shift(shift_block, (uint32_t)c0) ^ c1;
        c0 = shift(shift_block, (uint32_t)c0) ^ c2;
        p += 2 * block;
        *length -= 3 * block;
    }
    *bytes = p;
    return c0;
}

CRC_TARGET static uint32_t crc32c_hardware(uint32_t crc, const void *data, size_t length) {
    const uint8_t *bytes = data;
    uint64_t c0 = ~crc;
    c0 = three_streams(c0, &bytes, &length, LONG_BLOCK, shift_long);
    c0 = three_streams(c0, &bytes, &length, SHORT_BLOCK, shift_short);
    while (length >= 8) {
        c0 = CRC_WORD(c0, load64(bytes));
        bytes += 8;
        length -= 8;
    }
    while (length--) c0 = CRC_BYTE(c0, *bytes++);
    return ~(uint32_t)c0;
}
#endif

static int hardware_available(void) {
#if LOCKSTEP_CRC_X86
    return __builtin_cpu_supports("sse4.2");
#elif LOCKSTEP_CRC_ARM
    return 1;
#else
    return 0;
#endif
}

uint32_t lockstep_crc32c(uint32_t crc, const void *data, size_t length) {
    ensure_tables();
#ifdef CRC_TARGET
    static int hardware = -1;
    int use = __atomic_load_n(&hardware, __ATOMIC_RELAXED);
    if (use < 0) {
        use = hardware_available();
        __atomic_store_n(&hardware, use, __ATOMIC_RELAXED);
    }
    if (use) return crc32c_hardware(crc, data, length);
#endif
    return lockstep_crc32c_portable(crc, data, length);
}

const char *lockstep_crc32c_implementation(void) {
#if LOCKSTEP_CRC_X86
    return hardware_available() ? "sse4.2" : "table";
#elif LOCKSTEP_CRC_ARM
    return "armv8-crc";
#else
    return "table";
#endif
}
