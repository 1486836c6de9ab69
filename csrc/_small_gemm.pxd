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
    /* c[m, n] = a[m, kk] @ b[kk, n] (+ bias[n] on every row where bias is not NULL), all
       row-major (leading dims lda, ldb, ldc), n % 64 == 0 */
    /* (one copy per module: no clone specialised for a NULL bias) */
    #ifdef __clang__
    #define MT_ONE_COPY __attribute__((noinline))
    #else
    #define MT_ONE_COPY __attribute__((noinline, noclone))
    #endif
    MT_TARGET("avx512f") MT_ONE_COPY
    static void mt_rows_gemm_avx512(int m, int n, int kk, const float *a, int lda,
                                    const float *b, int ldb, float *c, int ldc,
                                    const float *bias) {
        int i0 = 0, c0, j, r, q;
        for (; i0 < m; i0 += 4) {
            int rows = m - i0 < 4 ? m - i0 : 4;
            for (c0 = 0; c0 < n; c0 += 64) {
                __m512 acc[4][4];
                const float *bp = b + c0;
                for (r = 0; r < 4; r++)
                    for (q = 0; q < 4; q++)
                        acc[r][q] = bias ? _mm512_loadu_ps(bias + c0 + 16 * q)
                                         : _mm512_setzero_ps();
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
                                    const float *b, int ldb, float *c, int ldc,
                                    const float *bias) {}
    static int mt_has_avx512(void) { return 0; }
    #endif
    /* mt_rows_gemm_avx512 over a's rows in blocks of 64 on nt OpenMP threads */
    static void mt_rows_gemm_par(int m, int n, int kk, const float *a, int lda, const float *b,
                                 int ldb, float *c, int ldc, const float *bias, int nt) {
        int q, nb = (m + 63) / 64;
        #pragma omp parallel for num_threads(nt) schedule(static)
        for (q = 0; q < nb; q++) {
            int lo = q * 64;
            mt_rows_gemm_avx512(m - lo < 64 ? m - lo : 64, n, kk, a + (size_t)lo * lda, lda, b,
                                ldb, c + (size_t)lo * ldc, ldc, bias);
        }
    }
    /* out (k, n) = w (n, k).T, both row-major, in 16 x 16 tiles */
    static void mt_transpose(const float *w, int n, int k, float *out) {
        int i0, j0, i, j;
        for (i0 = 0; i0 < n; i0 += 16)
            for (j0 = 0; j0 < k; j0 += 16)
                for (i = i0; i < n && i < i0 + 16; i++)
                    for (j = j0; j < k && j < j0 + 16; j++)
                        out[(size_t)j * n + i] = w[(size_t)i * k + j];
    }
    """
    void mt_rows_gemm_avx512(int m, int n, int kk, const float *a, int lda, const float *b,
                             int ldb, float *c, int ldc, const float *bias) noexcept nogil
    int mt_has_avx512() noexcept nogil
    void mt_rows_gemm_par(int m, int n, int kk, const float *a, int lda, const float *b,
                          int ldb, float *c, int ldc, const float *bias, int nt) noexcept nogil
    void mt_transpose(const float *w, int n, int k, float *out) noexcept nogil


cdef enum:
    # The products the kernel is given: a right operand of at most this many entries (512 KB:
    # it stays in the core's cache; csrc/_blas.pyx, and lstm_input's transposed weight in
    # csrc/_rnn.pyx)
    SMALL_B = 1 << 17


cdef inline bint small_gemm_switch(bint *flag, bint on) noexcept:
    """Set a module's switch for the kernel (on only where the CPU has AVX-512); returns the
    previous setting."""
    cdef bint prev = flag[0]
    flag[0] = on and mt_has_avx512() != 0
    return prev

