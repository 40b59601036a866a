"""One run of `verify` on one file, in a child process with a time limit and an
address-space limit, and what became of it."""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

# The table's columns, in order. A run ends in exactly one.
PASS = "pass"  # exit 0
FAIL = "fail"  # exit 1: a verdict on the values
REFUSED = "refused"  # exit 2, one line on stderr naming the file
POOR_MESSAGE = "poor message"  # exit 2 (or a verdict) with more or less than one such line, or HDF5's own stack
CRASH_HDF5 = "crash in libhdf5"  # a signal, the innermost frames in libhdf5
CRASH = "crash in Lockstep"  # a signal or trap in our code (or an unknown exit status)
HANG = "hang"  # still running at the time limit
OVER_MEMORY = "over memory"  # peak RSS above the ceiling, or an allocation that failed other than as a one-line refusal

OUTCOMES = (PASS, FAIL, REFUSED, POOR_MESSAGE, CRASH_HDF5, CRASH, HANG, OVER_MEMORY)
BAD = (POOR_MESSAGE, CRASH_HDF5, CRASH, HANG, OVER_MEMORY)


@dataclass
class Limits:
    timeout: float = 30.0
    # What verify is told it may take for one read (LOCKSTEP_MEMORY_BUDGET).
    budget: int = 256 << 20
    # The peak resident memory a run may reach: a replay holds a few copies of a row.
    ceiling: int = 1 << 30

    @property
    def address_space(self) -> int:
        """The hard limit on the child's address space: a backstop well above the ceiling,
        so the machine is never at risk, with room for the runtime's reservations."""
        return 2 * self.ceiling + (2 << 30)


@dataclass
class Outcome:
    outcome: str
    status: int | None  # exit status, or -signal
    seconds: float
    peak_rss: int  # bytes
    stderr: str
    detail: str = ""  # a crash's innermost frames
    extra: dict = field(default_factory=dict)


ALLOCATION_FAILURE = re.compile(r"memory allocation failed|failed to allocate|Could not allocate memory|std::bad_alloc|Cannot allocate memory", re.I)


def _limit(address_space: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.setsid()
    return apply


def run_verify(verify: str, path: str, limits: Limits, triage: bool = True) -> Outcome:
    env = dict(os.environ, LOCKSTEP_MEMORY_BUDGET=str(limits.budget), CI="1", SWIFT_BACKTRACE="enable=no")
    with tempfile.TemporaryFile() as err:
        start = time.monotonic()
        process = subprocess.Popen([verify, "--fixture", path], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=err, env=env, preexec_fn=_limit(limits.address_space))
        status = usage = None
        while True:
            pid, raw, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                status = os.waitstatus_to_exitcode(raw)
                break
            if time.monotonic() - start > limits.timeout:
                os.killpg(process.pid, signal.SIGKILL)
                _, raw, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.002)
        process.returncode = 0  # reaped here; keep Popen from waiting again
        seconds = time.monotonic() - start
        err.seek(0)
        stderr = err.read(65536).decode("utf-8", "replace")
    peak = usage.ru_maxrss * 1024
    if status is None:
        return Outcome(HANG, None, seconds, peak, stderr)
    lines = [line for line in stderr.splitlines() if line.strip()]
    # An allocation the limits refused, reported as one line (exit 2) with the peak within
    # the ceiling, is a refusal: the budget held. Any other failed allocation is over memory.
    refused_allocation = status == 2 and len(lines) == 1 and path in lines[0] and peak <= limits.ceiling
    if peak > limits.ceiling or (ALLOCATION_FAILURE.search(stderr) and not refused_allocation):
        return Outcome(OVER_MEMORY, status, seconds, peak, stderr)
    if status in (0, 1):
        return Outcome(PASS if status == 0 else FAIL, status, seconds, peak, stderr) if not lines else Outcome(POOR_MESSAGE, status, seconds, peak, stderr)
    if status == 2:
        clean = len(lines) == 1 and path in lines[0] and "HDF5-DIAG" not in stderr and "#000" not in stderr
        return Outcome(REFUSED if clean else POOR_MESSAGE, status, seconds, peak, stderr)
    frames = backtrace(verify, path, limits, env) if triage else ""
    return Outcome(CRASH_HDF5 if in_libhdf5(frames) else CRASH, status, seconds, peak, stderr, frames)


def backtrace(verify: str, path: str, limits: Limits, env: dict) -> str:
    """The crash reproduced under gdb: the innermost frames, one a line."""
    try:
        result = subprocess.run(
            ["gdb", "-batch", "-nx", "-ex", "set pagination off", "-ex", "run", "-ex", "bt 12", "--args", verify, "--fixture", path],
            capture_output=True, text=True, errors="replace", env=env, timeout=max(120, 4 * limits.timeout),
            preexec_fn=_limit(limits.address_space))
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"(no backtrace: {error})"
    return "\n".join(line for line in result.stdout.splitlines() if line.startswith("#"))


def in_libhdf5(frames: str) -> bool:
    """Whether the innermost frames that are not the C library's own are libhdf5's."""
    for line in frames.splitlines():
        if re.search(r"\b(raise|abort|__GI_|__libc_|__pthread_kill|memcpy|memmove|memset|malloc|free|_int_)\w*", line) and "H5" not in line:
            continue
        return bool(re.search(r"\bH5[A-Z]\w*|libhdf5", line))
    return False
