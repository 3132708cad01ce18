"""How many threads numpy's and scipy's BLAS may use in a server process."""

from __future__ import annotations

from threadpoolctl import threadpool_limits


def limit_blas_threads(threads: int) -> None:
    """Cap the BLAS libraries loaded so far (numpy's and scipy's OpenBLAS) at `threads` for
    the rest of the process; 0 leaves them as they are.

    A server's products are small (one request's keys against a few thousand reference
    keys), and OpenBLAS's helper threads spin after each one before they sleep: on two cores
    that spinning took a core from the request that started it (`BLAS_THREADS`). Call it
    from the main thread: OpenBLAS ignores a thread count set from any other."""
    if threads > 0:
        threadpool_limits(limits=threads, user_api="blas")
