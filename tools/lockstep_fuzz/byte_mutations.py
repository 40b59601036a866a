"""Byte-level mutations: a seed's bytes damaged as a disk, a transfer or an attacker would.

Half of the offsets fall in the first 4 KiB, where HDF5 keeps the superblock, the root
group and most object headers (metadata the library parses itself); the rest anywhere.
`duplicate-chunk` copies one stored chunk of a dataset over another of the same size,
checksum included: the one damage a per-chunk fletcher32 cannot see.
"""

from __future__ import annotations

import random
from functools import lru_cache
from pathlib import Path

import h5py

METADATA_SPAN = 4096


def _offset(rng: random.Random, size: int) -> int:
    if rng.random() < 0.5:
        return rng.randrange(min(size, METADATA_SPAN))
    return rng.randrange(size)


def bit_flip(data: bytearray, rng: random.Random) -> str:
    flips = rng.choice((1, 1, 1, 2, 4, 8))
    where = []
    for _ in range(flips):
        offset = _offset(rng, len(data))
        data[offset] ^= 1 << rng.randrange(8)
        where.append(offset)
    return f"{flips} bit(s) at {where}"


def overwrite(data: bytearray, rng: random.Random) -> str:
    length = rng.choice((1, 2, 4, 8, 16, 64, 256))
    offset = _offset(rng, len(data))
    fill = rng.choice(("random", "0xff", "0x7f", "0x80"))
    for i in range(offset, min(offset + length, len(data))):
        data[i] = {"random": rng.randrange(256), "0xff": 0xFF, "0x7f": 0x7F, "0x80": 0x80}[fill]
    return f"{length} bytes of {fill} at {offset}"


def truncate(data: bytearray, rng: random.Random) -> str:
    keep = rng.choice((rng.randrange(len(data)), rng.randrange(min(len(data), METADATA_SPAN)), len(data) - 1))
    del data[keep:]
    return f"truncated to {keep} bytes"


def zero_block(data: bytearray, rng: random.Random) -> str:
    length = rng.choice((512, 1024, 4096))
    offset = _offset(rng, len(data)) // 512 * 512
    end = min(offset + length, len(data))
    data[offset:end] = bytes(end - offset)
    return f"zeroed [{offset}, {end})"


@lru_cache(maxsize=64)
def _chunks(path: str) -> tuple[tuple[str, tuple[tuple[int, int], ...]], ...]:
    """Each chunked dataset of the file and its stored chunks' (offset, size)."""
    found = []
    with h5py.File(path, "r") as file:
        def visit(name, item):
            if isinstance(item, h5py.Dataset) and item.chunks is not None:
                ids = item.id
                count = ids.get_num_chunks()
                if count >= 2:
                    chunks = tuple((info.byte_offset, info.size) for info in (ids.get_chunk_info(i) for i in range(count)))
                    found.append((name, chunks))
        file.visititems(visit)
    return tuple(found)


def duplicate_chunk(data: bytearray, rng: random.Random, seed: Path) -> str:
    datasets = _chunks(str(seed))
    candidates = [(name, chunks) for name, chunks in datasets if len({size for _, size in chunks}) < len(chunks)]
    if candidates:
        name, chunks = rng.choice(candidates)
        by_size: dict[int, list[int]] = {}
        for offset, size in chunks:
            by_size.setdefault(size, []).append(offset)
        size, offsets = rng.choice([(s, o) for s, o in by_size.items() if len(o) >= 2])
        source, target = rng.sample(offsets, 2)
        data[target:target + size] = data[source:source + size]
        return f"/{name}: chunk at {source} copied over the one at {target} ({size} bytes)"
    # No two chunks of a size: a block of the file copied elsewhere.
    length = rng.choice((64, 512, 4096))
    source, target = rng.randrange(len(data)), _offset(rng, len(data))
    block = data[source:source + length]
    data[target:target + len(block)] = block
    return f"{len(block)} bytes at {source} copied to {target}"


# kind -> function(data, rng, seed path) -> description; mutates data in place.
BYTE_MUTATIONS = {
    "bit flip": lambda data, rng, seed: bit_flip(data, rng),
    "overwritten run": lambda data, rng, seed: overwrite(data, rng),
    "truncation": lambda data, rng, seed: truncate(data, rng),
    "zeroed block": lambda data, rng, seed: zero_block(data, rng),
    "duplicated chunk": duplicate_chunk,
}


def mutate_bytes(kind: str, seed: Path, out: Path, rng: random.Random) -> str:
    data = bytearray(seed.read_bytes())
    description = BYTE_MUTATIONS[kind](data, rng, seed)
    out.write_bytes(bytes(data))
    return description
