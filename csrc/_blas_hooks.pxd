# SciPy's OpenBLAS thread count, reached through its openblas_set_num_threads and
# openblas_get_num_threads (their addresses found by mytorch._threads._scipy_blas_hooks): a
# kernel that calls BLAS from each of its OpenMP threads sets it to one thread around the loop,
# since a pthreads OpenBLAS would otherwise start its own threads from each of them. Shared by
# the kernel modules that do (each keeps its own BlasHooks, set by its _set_blas_hooks).

ctypedef void (*set_threads_fn)(int) noexcept nogil
ctypedef int (*get_threads_fn)() noexcept nogil


cdef struct BlasHooks:
    set_threads_fn set  # NULL: unknown (then loops that call BLAS stay on one thread)
    get_threads_fn get


cdef inline void hooks_from(BlasHooks *h, size_t set_addr, size_t get_addr) noexcept:
    if set_addr == 0 or get_addr == 0:
        h.set = NULL
        h.get = NULL
    else:
        h.set = <set_threads_fn>set_addr
        h.get = <get_threads_fn>get_addr


cdef inline int blas_single(const BlasHooks *h) noexcept nogil:
    """Set the BLAS to one thread; returns the count to restore."""
    cdef int old = h.get()
    if old != 1:
        h.set(1)
    return old


cdef inline void blas_restore(const BlasHooks *h, int old) noexcept nogil:
    if old != 1:
        h.set(old)
