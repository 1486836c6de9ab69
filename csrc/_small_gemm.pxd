# A float32 product kernel for CPUs with AVX-512 (checked at run time: mt_has_avx512, from
# csrc/_cpu.pxd's CPUID reading): c = a @ b with a, b and c row-major and b's rows a multiple of
# 64 floats, 4 rows by 64 columns of c at a time in 16 vector registers, b read in place. OpenBLAS
# packs both operands again on every call, which on small products costs as much as the
# product: an LSTM step's 16 x 128 x 512 took 27 us in a BLAS call (torch: 18), 13 here; 64
# batched 128^3 products on 2 threads 1.29 ms, 0.97 here. Used by the LSTM layers (csrc/_rnn.pyx) and
# the matmul kernel (csrc/_blas.pyx) where b fits in the core's cache. Other compilers and CPUs
# get a stub that mt_has_avx512 keeps from being called.

from _cpu cimport mt_cpu_level

cdef extern from *:
    """
    #if MT_X86
    #include <immintrin.h>
    /* c[m, n] = a[m, kk] @ b[kk, n], all row-major (leading dims lda, ldb, ldc), n % 64 == 0 */
    MT_TARGET("avx512f")
    static void mt_rows_gemm_avx512(int m, int n, int kk, const float *a, int lda,
                                    const float *b, int ldb, float *c, int ldc) {
        int i0 = 0, c0, j, r, q;
        for (; i0 < m; i0 += 4) {
            int rows = m - i0 < 4 ? m - i0 : 4;
            for (c0 = 0; c0 < n; c0 += 64) {
                __m512 acc[4][4];
                const float *bp = b + c0;
                for (r = 0; r < 4; r++)
                    for (q = 0; q < 4; q++) acc[r][q] = _mm512_setzero_ps();
                if (rows == 4) {
                    for (j = 0; j < kk; j++, bp += ldb) {
                        __m512 bv[4];
                        for (q = 0; q < 4; q++) bv[q] = _mm512_loadu_ps(bp + 16 * q);
                        for (r = 0; r < 4; r++) {
                            __m512 x = _mm512_set1_ps(a[(size_t)(i0 + r) * lda + j]);
                            for (q = 0; q < 4; q++) acc[r][q] = _mm512_fmadd_ps(x, bv[q], acc[r][q]);
                        }
                    }
                } else {
                    for (j = 0; j < kk; j++, bp += ldb) {
                        __m512 bv[4];
                        for (q = 0; q < 4; q++) bv[q] = _mm512_loadu_ps(bp + 16 * q);
                        for (r = 0; r < rows; r++) {
                            __m512 x = _mm512_set1_ps(a[(size_t)(i0 + r) * lda + j]);
                            for (q = 0; q < 4; q++) acc[r][q] = _mm512_fmadd_ps(x, bv[q], acc[r][q]);
                        }
                    }
                }
                for (r = 0; r < rows; r++)
                    for (q = 0; q < 4; q++)
                        _mm512_storeu_ps(c + (size_t)(i0 + r) * ldc + c0 + 16 * q, acc[r][q]);
            }
        }
    }
    static int mt_has_avx512(void) { return mt_cpu_level() >= 2; }
    #else
    static void mt_rows_gemm_avx512(int m, int n, int kk, const float *a, int lda,
                                    const float *b, int ldb, float *c, int ldc) {}
    static int mt_has_avx512(void) { return 0; }
    #endif
    """
    void mt_rows_gemm_avx512(int m, int n, int kk, const float *a, int lda, const float *b,
                             int ldb, float *c, int ldc) noexcept nogil
    int mt_has_avx512() noexcept nogil


cdef inline bint small_gemm_switch(bint *flag, bint on) noexcept:
    """Set a module's switch for the kernel (on only where the CPU has AVX-512); returns the
    previous setting."""
    cdef bint prev = flag[0]
    flag[0] = on and mt_has_avx512() != 0
    return prev

