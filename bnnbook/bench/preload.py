"""Imported by the forked benchmark server (:mod:`bnnbook.bench.forked`): imports the
book's engine and starts Numba's compiler once, so that every forked worker finds both
ready and only loads the engine's kernels from Numba's cache.

The kernels themselves are not loaded here: loading a parallel kernel loads GNU
OpenMP (Numba's threading layer where installed), and a process forked from one that
has loaded it aborts ("fork() called from a process already using GNU OpenMP").
"""

import numba

from bnnbook.engine import packed  # noqa: F401  (what the workers run)


@numba.njit
def _start(x: int) -> int:
    """A trivial function: compiling it starts LLVM, the costly first step."""
    return x + 1


_start(1)
