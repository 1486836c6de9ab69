# C types for mytorch/_grad_mode.py (Cython pure-Python mode): grad mode as a C thread-local
# flag (zero-initialised in every thread: grad mode starts on, as torch's does).

cdef extern from *:
    """
    #if defined(_MSC_VER)
    static __declspec(thread) int _mt_grad_off = 0;
    #else
    static __thread int _mt_grad_off = 0;
    #endif
    """
    int _mt_grad_off

cdef bint _COMPILED

cpdef bint _grad_on()
cpdef bint is_grad_enabled()
cpdef bint _set_grad_enabled(object mode)
