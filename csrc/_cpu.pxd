# What the x86-64 CPU running us can do, for kernels built for several instruction sets (each
# function of such a kernel compiled with a target attribute, one chosen at run time). Read from
# CPUID and XGETBV directly rather than GCC's __builtin_cpu_supports: that one needs libgcc's
# CPU model table, and linked by the wheel builds' Zig linker it brought 195 KB into each module.
# Other compilers and architectures report the baseline.

cdef extern from *:
    """
    #if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
    #include <cpuid.h>
    #define MT_X86 1
    #define MT_TARGET(isa) __attribute__((target(isa)))
    /* 0: the baseline; 1: AVX2; 2: AVX-512F; each only where the OS saves its registers */
    static int mt_cpu_level_read(void) {
        unsigned int a, b, c, d, lo, hi;
        if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27)) || !(c & (1u << 28)))
            return 0;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        if ((lo & 6u) != 6u || !__get_cpuid_count(7, 0, &a, &b, &c, &d))
            return 0;
        if ((b & (1u << 16)) && (lo & 0xE6u) == 0xE6u)
            return 2;
        return (b & (1u << 5)) ? 1 : 0;
    }
    #else
    #define MT_X86 0
    #define MT_TARGET(isa)
    static int mt_cpu_level_read(void) { return 0; }
    #endif
    static int mt_cpu_level_cached = -1;
    static int mt_cpu_level(void) {
        if (mt_cpu_level_cached < 0)
            mt_cpu_level_cached = mt_cpu_level_read();
        return mt_cpu_level_cached;
    }
    """
    int mt_cpu_level() noexcept nogil
