# cython: boundscheck=False, wraparound=False, cdivision=True
"""A caching allocator for NumPy array buffers, installed with PyDataMem_SetHandler.

Why: glibc hands freed blocks of about 128 KiB to 32 MiB back to the OS, so a training loop
page-faults its mid-size arrays in again on every step. Blocks of MIN_CACHED bytes or more are
kept here in size classes (four per power of two) up to a byte limit and reused; smaller ones
go to NumPy's default handler (which keeps its own cache of tiny buffers).

When a freed block would take the cache past its limit, blocks of the size classes used least
recently are returned to the system first, so that the sizes a loop uses now stay cached (a
full cache that kept only old sizes made every new 64 MiB array page-fault in again).

Every buffer has a 32-byte header just below its data: the block's raw pointer, the requested
size, its size class (or SMALL) and a magic number, so that free and realloc never depend on
the size NumPy passes back. Thread-safe: the free lists are guarded by one lock.

Switches: MYTORCH_CACHING_ALLOCATOR=0 leaves NumPy's allocator in place;
MYTORCH_ALLOC_CACHE_MB sets the most memory kept cached (default 1024).
"""

from cpython.pycapsule cimport PyCapsule_GetPointer, PyCapsule_New
from cpython.pythread cimport (
    WAIT_LOCK,
    PyThread_acquire_lock,
    PyThread_allocate_lock,
    PyThread_release_lock,
    PyThread_type_lock,
)
from libc.stdint cimport uint32_t, uint64_t, uintptr_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memcpy, memset, strncpy

cimport numpy as cnp

cnp.import_array()

cdef extern from "numpy/ndarraytypes.h":
    ctypedef struct PyDataMemAllocator:
        void *ctx
        void *(*malloc)(void *ctx, size_t size) noexcept nogil
        void *(*calloc)(void *ctx, size_t nelem, size_t elsize) noexcept nogil
        void *(*realloc)(void *ctx, void *ptr, size_t new_size) noexcept nogil
        void (*free)(void *ctx, void *ptr, size_t size) noexcept nogil

    ctypedef struct PyDataMem_Handler:
        char name[127]
        unsigned char version
        PyDataMemAllocator allocator

cdef extern from "numpy/arrayobject.h":
    object PyDataMem_SetHandler(object handler)
    object PyDataMem_GetHandler()


cdef struct Header:
    void *raw  # what malloc returned (large) or NumPy's default handler returned (small)
    size_t size  # bytes requested
    uint32_t cls  # size class, or SMALL
    uint32_t magic

cdef enum:
    HEADER = 32  # sizeof(Header) rounded up; keeps data 16-byte aligned under small blocks
    ALIGN = 64  # large blocks' data start on a cache line
    MIN_SHIFT = 14
    MIN_CACHED = 1 << MIN_SHIFT  # 16 KiB
    N_CLASSES = 4 * 50
    SMALL = 0xFFFFFFFF
    MAGIC = 0x6D79746F  # "myto"

cdef PyDataMem_Handler _handler
cdef PyDataMem_Handler *_default = NULL  # NumPy's own handler, for small blocks
cdef object _default_capsule = None
cdef object _capsule = None
cdef PyThread_type_lock _lock = NULL
cdef void *_free_lists[N_CLASSES]  # singly linked through each cached block's first word
cdef size_t _cached = 0  # bytes held in the free lists
cdef size_t _limit = 0
cdef size_t _hits = 0
cdef size_t _misses = 0
cdef uint64_t _clock = 0  # counts large allocations and frees
cdef uint64_t _last_used[N_CLASSES]  # per size class, the clock at its last allocation or free


cdef inline uint32_t _class_of(size_t size) noexcept nogil:
    """Size class of a request of ``size`` >= MIN_CACHED bytes: four classes per power of two."""
    cdef size_t s1 = size - 1
    cdef int p = 63
    while not (s1 >> p):
        p -= 1
    # 2**p <= s1 < 2**(p+1); q in [4, 7] picks the quarter.
    return <uint32_t>((p - (MIN_SHIFT - 1)) * 4 + ((s1 >> (p - 2)) - 4))


cdef inline size_t _class_size(uint32_t cls) noexcept nogil:
    cdef int p = cls // 4 + (MIN_SHIFT - 1)
    cdef size_t q = cls % 4 + 4
    return (q + 1) << (p - 2)


cdef inline Header *_header(void *data) noexcept nogil:
    return <Header *>(<char *>data - HEADER)


cdef void *_place(void *raw, size_t size, uint32_t cls, size_t offset) noexcept nogil:
    cdef char *data = <char *>raw + offset
    cdef Header *h = _header(data)
    h.raw = raw
    h.size = size
    h.cls = cls
    h.magic = MAGIC
    return data


cdef void *_alloc(size_t size, bint zero) noexcept nogil:
    global _cached, _hits, _misses, _clock
    cdef void *raw
    cdef uint32_t cls
    cdef size_t csize, offset
    if size < MIN_CACHED:
        if zero:
            raw = _default.allocator.calloc(_default.allocator.ctx, 1, size + HEADER)
        else:
            raw = _default.allocator.malloc(_default.allocator.ctx, size + HEADER)
        if raw == NULL:
            return NULL
        return _place(raw, size, SMALL, HEADER)
    cls = _class_of(size)
    if cls >= N_CLASSES:
        return NULL
    raw = NULL
    PyThread_acquire_lock(_lock, WAIT_LOCK)
    _clock += 1
    _last_used[cls] = _clock
    if _free_lists[cls] != NULL:
        raw = _free_lists[cls]
        _free_lists[cls] = (<void **>raw)[0]
        _cached -= _class_size(cls)
        _hits += 1
    else:
        _misses += 1
    PyThread_release_lock(_lock)
    csize = _class_size(cls) + HEADER + ALIGN
    if raw == NULL:
        # NOTE: calloc of a fresh large block is zeroed lazily by the OS, so no memset for it.
        raw = calloc(1, csize) if zero else malloc(csize)
        if raw == NULL:
            return NULL
    elif zero:
        memset(raw, 0, csize)
    offset = (ALIGN - (<uintptr_t>raw + HEADER) % ALIGN) % ALIGN + HEADER
    return _place(raw, size, cls, offset)


cdef void _release(void *data) noexcept nogil:
    global _cached, _clock
    cdef Header *h
    cdef void *raw
    cdef void *evicted
    cdef uint32_t cls
    cdef size_t csize
    if data == NULL:
        return
    h = _header(data)
    if h.magic != MAGIC:
        return  # not ours: leak rather than corrupt the heap
    h.magic = 0
    raw = h.raw
    cls = h.cls
    if cls == SMALL:
        _default.allocator.free(_default.allocator.ctx, raw, h.size + HEADER)
        return
    csize = _class_size(cls)
    evicted = NULL
    PyThread_acquire_lock(_lock, WAIT_LOCK)
    _clock += 1
    _last_used[cls] = _clock
    if _cached + csize > _limit and csize <= _limit:
        evicted = _evict(_cached + csize - _limit, cls)
    if _cached + csize <= _limit:
        (<void **>raw)[0] = _free_lists[cls]
        _free_lists[cls] = raw
        _cached += csize
        raw = NULL
    PyThread_release_lock(_lock)
    if raw != NULL:
        free(raw)
    while evicted != NULL:  # returned to the system outside the lock
        raw = (<void **>evicted)[0]
        free(evicted)
        evicted = raw


cdef void *_evict(size_t need, uint32_t keep) noexcept nogil:
    """Take at least ``need`` bytes of cached blocks out of the free lists, from the classes
    used least recently (never class ``keep``); returns them linked through their first word.
    Called with the lock held."""
    global _cached
    cdef void *out = NULL
    cdef void *blk
    cdef size_t freed = 0
    cdef int i, victim
    while freed < need:
        victim = -1
        for i in range(N_CLASSES):
            if _free_lists[i] != NULL and i != keep and (
                    victim < 0 or _last_used[i] < _last_used[victim]):
                victim = i
        if victim < 0:
            break
        blk = _free_lists[victim]
        _free_lists[victim] = (<void **>blk)[0]
        _cached -= _class_size(victim)
        freed += _class_size(victim)
        (<void **>blk)[0] = out
        out = blk
    return out


cdef void *_h_malloc(void *ctx, size_t size) noexcept nogil:
    return _alloc(size, False)


cdef void *_h_calloc(void *ctx, size_t nelem, size_t elsize) noexcept nogil:
    if elsize and nelem > (<size_t>-1) // elsize:
        return NULL
    return _alloc(nelem * elsize, True)


cdef void *_h_realloc(void *ctx, void *ptr, size_t new_size) noexcept nogil:
    cdef void *out
    cdef size_t old
    if ptr == NULL:
        return _alloc(new_size, False)
    old = _header(ptr).size
    out = _alloc(new_size, False)
    if out != NULL:
        memcpy(out, ptr, old if old < new_size else new_size)
        _release(ptr)
    return out


cdef void _h_free(void *ctx, void *ptr, size_t size) noexcept nogil:
    _release(ptr)


def install(limit_bytes=None):
    """Make new NumPy arrays (in this thread's context) use the caching allocator."""
    global _capsule, _default, _default_capsule, _limit
    if limit_bytes is not None:
        _limit = limit_bytes
    if _capsule is None:
        _default_capsule = PyDataMem_GetHandler()
        _default = <PyDataMem_Handler *>PyCapsule_GetPointer(_default_capsule, "mem_handler")
        _capsule = PyCapsule_New(&_handler, "mem_handler", NULL)
    PyDataMem_SetHandler(_capsule)


def uninstall():
    """Give new arrays NumPy's default allocator again (arrays made before keep ours)."""
    if _default_capsule is not None:
        PyDataMem_SetHandler(_default_capsule)


def empty_cache():
    """Return every cached block to the system."""
    global _cached
    cdef int i
    cdef void *raw
    cdef void *nxt
    PyThread_acquire_lock(_lock, WAIT_LOCK)
    for i in range(N_CLASSES):
        raw = _free_lists[i]
        _free_lists[i] = NULL
        while raw != NULL:
            nxt = (<void **>raw)[0]
            free(raw)
            raw = nxt
    _cached = 0
    PyThread_release_lock(_lock)


def set_limit(size_t limit_bytes):
    """The most bytes kept cached (blocks freed beyond it go back to the system)."""
    global _limit
    _limit = limit_bytes
    if _cached > _limit:
        empty_cache()


def stats():
    """{'cached': bytes held, 'limit': bytes, 'hits': reuses, 'misses': fresh large blocks}."""
    return {"cached": _cached, "limit": _limit, "hits": _hits, "misses": _misses}


_lock = PyThread_allocate_lock()
strncpy(_handler.name, b"mytorch_caching_allocator", 126)
_handler.version = 1
_handler.allocator.ctx = NULL
_handler.allocator.malloc = _h_malloc
_handler.allocator.calloc = _h_calloc
_handler.allocator.realloc = _h_realloc
_handler.allocator.free = _h_free
_limit = 1024 << 20
