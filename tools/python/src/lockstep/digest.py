"""CRC-32C content digests (format extension 18), in numpy, bit for bit as Lockstep's C.

CRC-32C (Castagnoli; iSCSI, RFC 3720): the polynomial 0x1EDC6F41 reflected (0x82F63B78),
register initialised to 0xFFFFFFFF, result inverted; `crc32c(b"123456789") == 0xE3069283`.
Python's standard library has no CRC-32C and `tools/requirements.txt` pins no package
with one, so this computes it with numpy: the bytes are cut into `LANES`-byte lanes whose
CRCs are computed side by side, four bytes a step with slice-by-4 tables (each step one
numpy operation over all lanes), then joined pairwise, a tree of levels, by shifting the
left lane's CRC past the right lane's bytes with tabulated "CRC of zeros" operators (a
CRC register moved past zero bytes is a linear map; it is tabulated a byte at a time).

What a digest covers (`docs/fixture-format.md`, extension 18): `dataset_digests`.
"""

from __future__ import annotations

import functools

import numpy as np

POLY = 0x82F63B78
# Bytes per lane, at most: the lanes advance together, four bytes per numpy step, so a
# lane of about the square root of the length (a power of two) balances steps and lanes.
MAX_LANE = 256


def _byte_table() -> np.ndarray:
    table = np.zeros((4, 256), dtype=np.uint32)
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ POLY if crc & 1 else crc >> 1
        table[0, byte] = crc
    for k in range(1, 4):
        table[k] = table[0][table[k - 1] & 0xFF] ^ (table[k - 1] >> 8)
    return table


_TABLE = _byte_table()


def _zeros(registers: np.ndarray, count: int) -> np.ndarray:
    """Each register moved past `count` zero bytes (no inversion)."""
    c = registers.astype(np.uint32)
    t0 = _TABLE[0]
    for _ in range(count):
        c = t0[c & 0xFF] ^ (c >> 8)
    return c


@functools.lru_cache(maxsize=64)
def _shift(count: int) -> np.ndarray:
    """[4, 256]: the register moved past `count` zero bytes, one register byte at a time."""
    if count <= 64:
        basis = _zeros(np.uint32(1) << np.arange(32, dtype=np.uint32), count)
    else:
        # Moving past 2h zeros is moving past h zeros twice.
        half = _shift(count // 2)
        basis = _apply(half, _apply(half, np.uint32(1) << np.arange(32, dtype=np.uint32)))
        if count % 2:
            basis = _zeros(basis, 1)
    bits = (np.arange(256)[:, None] >> np.arange(8)) & 1  # [256, 8]
    tables = np.zeros((4, 256), dtype=np.uint32)
    for part in range(4):
        columns = basis[8 * part:8 * part + 8]
        tables[part] = np.bitwise_xor.reduce(np.where(bits.astype(bool), columns[None, :], 0), axis=1)
    return tables


def _apply(tables: np.ndarray, registers: np.ndarray) -> np.ndarray:
    c = registers.astype(np.uint32)
    return tables[0][c & 0xFF] ^ tables[1][(c >> 8) & 0xFF] ^ tables[2][(c >> 16) & 0xFF] ^ tables[3][c >> 24]


def crc32c(data: bytes | bytearray | memoryview | np.ndarray, crc: int = 0) -> int:
    """The CRC-32C of `data`'s bytes (an array: its bytes in memory order), continuing `crc`."""
    raw = np.frombuffer(memoryview(np.ascontiguousarray(data) if isinstance(data, np.ndarray) else data).cast("B"),
                        dtype=np.uint8)
    n = raw.size
    start = np.uint32(~crc & 0xFFFFFFFF)
    if n == 0:
        return crc & 0xFFFFFFFF
    lane = min(MAX_LANE, 1 << max(3, n.bit_length() // 2))
    if n <= 2 * lane:
        c = _zeros_data(np.array([start], dtype=np.uint32), raw[None, :])[0]
        return int(~c & 0xFFFFFFFF)
    # Zeros in front of the data leave a zero register at zero: pad to whole lanes, a
    # power of two of them, and fold the initial register in at the end.
    lanes = 1 << (-(-n // lane) - 1).bit_length()
    padded = np.zeros(lanes * lane, dtype=np.uint8)
    padded[lanes * lane - n:] = raw
    c = _zeros_data(np.zeros(lanes, dtype=np.uint32), padded.reshape(lanes, lane))
    width = lane
    while c.size > 1:
        c = _apply(_shift(width), c[0::2]) ^ c[1::2]
        width *= 2
    result = c[0] ^ _apply(_shift(n), np.array([start], dtype=np.uint32))[0]
    return int(~result & 0xFFFFFFFF)


def _zeros_data(registers: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Each register advanced over its row of bytes (rows of equal length), four bytes a step."""
    c = registers.astype(np.uint32)
    length = rows.shape[1]
    whole = length - length % 4
    if whole:
        words = np.ascontiguousarray(rows[:, :whole]).view("<u4").astype(np.uint32)
        t0, t1, t2, t3 = _TABLE
        for i in range(words.shape[1]):
            c = c ^ words[:, i]
            c = t3[c & 0xFF] ^ t2[(c >> 8) & 0xFF] ^ t1[(c >> 16) & 0xFF] ^ t0[c >> 24]
    for i in range(whole, length):
        c = _TABLE[0][(c ^ rows[:, i]) & 0xFF] ^ (c >> 8)
    return c


def element_bytes(array: np.ndarray) -> np.ndarray:
    """The elements in row-major order as little-endian bytes: what a digest covers."""
    array = np.asarray(array)
    return np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).view(np.uint8).reshape(-1)


def dataset_digests(data: np.ndarray, by_row: bool) -> np.ndarray:
    """A dataset's `crc32c` attribute: one CRC per row (index of the first axis) when the
    dataset is chunked one row per chunk (`by_row`), else one CRC of all of it."""
    data = np.asarray(data)
    if by_row:
        return np.array([crc32c(element_bytes(row)) for row in data], dtype="<u4")
    return np.array([crc32c(element_bytes(data))], dtype="<u4")
