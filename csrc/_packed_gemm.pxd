# A float32 product kernel for CPUs with AVX-512 (checked at run time, csrc/_cpu.pxd) whose right
# operand is copied into 64-column panels first, for any layout of either operand: c = a @ b with
# a[i, k] at a[i * ars + k * acs] and b[k, j] at b[k * brs + j * bcs] (b row-major, bcs == 1, or
# column-major, brs == 1: linear's weight.T), c row-major. Each panel (at most MT_KC rows of 64
# floats, 64 KB) is read from the core's cache by every 6-row tile of a (24 sums in vector
# registers). csrc/_small_gemm.pxd's kernel reads b in place, which is cheaper where b is small
# and row-major; read in place, the rows of a large b whose length is a multiple of 1 KB (784 x 256
# floats: every row of a 64-column panel on the same few cache sets) do not stay in the cache.
# Used by matmul (csrc/_blas.pyx), on 2 threads: a 784-256-256-10 MLP's products at batch 128,
# hot, x @ w1.T 241 -> 207 us (torch 187), g.T @ x 241 -> 202 (167), h @ w2.T 85 -> 66 (61),
# g.T @ h 95 -> 62 (59), OpenBLAS -> here.
# Other compilers and CPUs get a stub that mt_has_avx512 keeps from being called.

from _cpu cimport mt_cpu_level

cdef extern from *:
    """
    #define MT_KC 256
    #if MT_X86
    #include <immintrin.h>
    /* lanes of the 64-column block starting at column 16 * q that lie below nr */
    MT_TARGET("avx512f")
    static inline __mmask16 mt_lanes(int nr, int q) {
        int left = nr - 16 * q;
        return left >= 16 ? (__mmask16)0xFFFF : left <= 0 ? (__mmask16)0
                                                          : (__mmask16)((1u << left) - 1);
    }
    /* buf[kc][64] = b[k0:k0 + kc, j0:j0 + nr], zero beyond nr */
    MT_TARGET("avx512f")
    static void mt_pack_b(const float *b, long brs, long bcs, int k0, int kc, int j0, int nr,
                          float *buf) {
        __mmask16 mk[4];
        int k, q;
        for (q = 0; q < 4; q++) mk[q] = mt_lanes(nr, q);
        if (bcs == 1) {
            for (k = 0; k < kc; k++) {
                const float *src = b + (long)(k0 + k) * brs + j0;
                for (q = 0; q < 4; q++)
                    _mm512_storeu_ps(buf + 64 * k + 16 * q,
                                     _mm512_maskz_loadu_ps(mk[q], src + 16 * q));
            }
        } else {
            /* column-major: 16 columns gathered at a time (their entries bcs apart) */
            __m512i idx = _mm512_mullo_epi32(
                _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                _mm512_set1_epi32((int)bcs));
            const float *base = b + (long)j0 * bcs + (long)k0 * brs;
            for (k = 0; k < kc; k++)
                for (q = 0; q < 4; q++)
                    _mm512_storeu_ps(buf + 64 * k + 16 * q,
                                     _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mk[q], idx,
                                                              base + k + 16 * q * bcs, 4));
        }
    }
    /* c[0:R, 0:nr] (+)= a[0:R, 0:kc] @ panel; from zero (or bias) where first */
    #define MT_MICRO(NAME, R, UNROLL)                                                          \\
    MT_TARGET("avx512f")                                                                       \\
    static void NAME(int rows, int kc, const float *a, long ars, long acs, const float *bp,    \\
                     float *c, long ldc, int nr, int first, const float *bias) {               \\
        __m512 acc[R ? R : 6][4];                                                              \\
        __mmask16 mk[4];                                                                       \\
        int r, q, k, nrow = R ? R : rows;                                                      \\
        for (q = 0; q < 4; q++) mk[q] = mt_lanes(nr, q);                                       \\
        for (r = 0; r < (R ? R : nrow); r++)                                                   \\
            for (q = 0; q < 4; q++)                                                            \\
                acc[r][q] = !first ? _mm512_maskz_loadu_ps(mk[q], c + r * ldc + 16 * q)        \\
                          : bias ? _mm512_maskz_loadu_ps(mk[q], bias + 16 * q)                 \\
                                 : _mm512_setzero_ps();                                        \\
        _Pragma(UNROLL)                                                                        \\
        for (k = 0; k < kc; k++, bp += 64) {                                                   \\
            __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + 16);                    \\
            __m512 b2 = _mm512_loadu_ps(bp + 32), b3 = _mm512_loadu_ps(bp + 48);               \\
            const float *ak = a + k * acs;                                                     \\
            for (r = 0; r < (R ? R : nrow); r++) {                                             \\
                __m512 x = _mm512_set1_ps(ak[r * ars]);                                        \\
                acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);                                 \\
                acc[r][1] = _mm512_fmadd_ps(x, b1, acc[r][1]);                                 \\
                acc[r][2] = _mm512_fmadd_ps(x, b2, acc[r][2]);                                 \\
                acc[r][3] = _mm512_fmadd_ps(x, b3, acc[r][3]);                                 \\
            }                                                                                  \\
        }                                                                                      \\
        for (r = 0; r < nrow; r++)                                                             \\
            for (q = 0; q < 4; q++)                                                            \\
                _mm512_mask_storeu_ps(c + r * ldc + 16 * q, mk[q], acc[r][q]);                 \\
    }
    /* (the 6-row kernel's k loop unrolled: 4 times took a prototype from 157 to 168 GFLOP/s on
       one core; unrolled twice, it runs the MLP's products as fast; the tails' kernels, a few
       rows of every panel, kept small) */
    MT_MICRO(mt_micro6, 6, "GCC unroll 2")
    MT_MICRO(mt_micro4, 4, "GCC unroll 1")
    MT_MICRO(mt_micro_any, 0, "GCC unroll 1")
    /* the kernel on one thread; buf: MT_KC * 64 floats */
    MT_TARGET("avx512f")
    static void mt_sgemm_packed(int m, int n, int kk, const float *a, long ars, long acs,
                                const float *b, long brs, long bcs, float *c, long ldc,
                                const float *bias, float *buf) {
        int jp, k0, i, tail = m % 6 == 2 && m >= 8 ? 8 : m % 6;
        for (jp = 0; jp < n; jp += 64) {
            int nr = n - jp < 64 ? n - jp : 64;
            const float *bj = bias ? bias + jp : NULL;
            for (k0 = 0; k0 < kk; k0 += MT_KC) {
                int kc = kk - k0 < MT_KC ? kk - k0 : MT_KC, first = k0 == 0;
                const float *ak = a + (long)k0 * acs;
                float *cj = c + jp;
                mt_pack_b(b, brs, bcs, k0, kc, jp, nr, buf);
                /* 6-row tiles, then 4-row ones (m = 128: 20 x 6 + 2 x 4), then the rest */
                for (i = 0; i + tail < m; i += 6)
                    mt_micro6(6, kc, ak + i * ars, ars, acs, buf, cj + i * ldc, ldc, nr, first, bj);
                for (; i + 4 <= m; i += 4)
                    mt_micro4(4, kc, ak + i * ars, ars, acs, buf, cj + i * ldc, ldc, nr, first, bj);
                if (i < m)
                    mt_micro_any(m - i, kc, ak + i * ars, ars, acs, buf, cj + i * ldc, ldc, nr,
                                 first, bj);
            }
        }
    }
    #else
    static void mt_sgemm_packed(int m, int n, int kk, const float *a, long ars, long acs,
                                const float *b, long brs, long bcs, float *c, long ldc,
                                const float *bias, float *buf) {}
    #endif
    """
    int MT_KC
    void mt_sgemm_packed(int m, int n, int kk, const float *a, long ars, long acs,
                         const float *b, long brs, long bcs, float *c, long ldc,
                         const float *bias, float *buf) noexcept nogil
