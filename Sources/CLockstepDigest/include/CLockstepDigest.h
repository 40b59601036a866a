// Content digests of fixture data (format extension 18): CRC-32C (Castagnoli; iSCSI,
// RFC 3720), the polynomial 0x1EDC6F41 reflected (0x82F63B78), register initialised to
// 0xFFFFFFFF and the result inverted. The CRC of "123456789" is 0xE3069283.
//
// x86-64 CPUs with SSE4.2 compute it with the `crc32` instruction on three interleaved
// streams; arm64 with the CRC extension uses `crc32cx`; anything else a slice-by-8 table.
// Every variant returns the same value (tested against the table and against Python's
// `lockstep.digest.crc32c`).
#ifndef CLOCKSTEP_DIGEST_H
#define CLOCKSTEP_DIGEST_H

#include <stddef.h>
#include <stdint.h>

/// The CRC-32C of `length` bytes at `data`, continuing `crc` (the CRC of the bytes before
/// them; 0 to start), as zlib's `crc32` continues: `lockstep_crc32c(lockstep_crc32c(0, a, n),
/// b, m)` is the CRC of `a` followed by `b`.
uint32_t lockstep_crc32c(uint32_t crc, const void *data, size_t length);

/// The same with the portable table, whatever the CPU (for tests and benchmarks).
uint32_t lockstep_crc32c_portable(uint32_t crc, const void *data, size_t length);

/// Which implementation `lockstep_crc32c` uses here: "sse4.2", "armv8-crc" or "table".
const char *lockstep_crc32c_implementation(void);

#endif
