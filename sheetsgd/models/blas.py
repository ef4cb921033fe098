"""BLAS on one thread: the models multiply small matrices (16 x 64 by 64 x 50, 20 x 20), where a
thread pool costs more than the arithmetic (on a busy 2-core machine, 2-10x the CPU time).
OpenBLAS splits a product's rows and columns between threads, never its sums, so the results are
the same to the last bit either way on one machine. Not across machines: OpenBLAS picks its
kernels per CPU, so what a committed workbook holds is computed without BLAS (models.portable)."""
import contextlib

try:
    from threadpoolctl import threadpool_limits
except ImportError:   # optional: only the speed depends on it
    threadpool_limits = None


def single_threaded_blas():
    return threadpool_limits(1) if threadpool_limits else contextlib.nullcontext()
