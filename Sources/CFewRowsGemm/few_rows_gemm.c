// Few-rows F32 GEMM C = alpha · A · Wᵀ + beta · C with W stored [n, k] (see few_rows_gemm.h).
//
// Element (i, j) is a dot product of row i of A with row j of W, both contiguous in k. The
// kernel walks W in blocks of NR rows (columns of C); for each block it runs the rows of A in
// blocks of up to MR, keeping MR × NR vector accumulators in registers: every weight vector loaded
// is used by all MR rows. With AVX-512 the row blocks (up to 4, 32 rows) take turns on chunks of
// 128 k, so a chunk of the weight block is still in L1 for the next row block and W is read from
// memory once per call (with AVX2 each row block runs the whole k and re-reads the block from
// L2). While a block is computed, the same offsets of the block after next are prefetched into
// L2 (one cache line per weight row per step), which keeps the memory stream ahead of the FMAs
// (into L2, not L1: the rows of A pass through L1 for every block and would evict prefetched
// lines before use; measured ~8 % faster than into L1 one block ahead). The k remainder is a
// masked load (zeros beyond k), and each accumulator is summed horizontally at the end, so an
// element's rounding does not depend on which block, row block, chunk or thread computed it.

#include "few_rows_gemm.h"

#if defined(__x86_64__) || defined(_M_X64)
#define FRG_X86 1
#include <immintrin.h>
#else
#define FRG_X86 0
#endif

#define FRG_AI static inline __attribute__((always_inline))

/// How many blocks of weight rows ahead the prefetch runs.
enum { FRG_PREFETCH_BLOCKS = 2 };

/// Writes one finished element: alpha · s + beta · c, never reading c when beta == 0.
FRG_AI void frg_store(float *c, float s, float alpha, float beta) {
    *c = beta == 0.0f ? alpha * s : alpha * s + beta * *c;
}

// ---------------------------------------------------------------------------------------------
// Portable C

static void frg_scalar(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha, const float *a, ptrdiff_t lda,
                       const float *w, ptrdiff_t ldw, float beta, float *c, ptrdiff_t ldc) {
    for (ptrdiff_t j = 0; j < n; j++) {
        const float *wj = w + j * ldw;
        for (ptrdiff_t i = 0; i < m; i++) {
            const float *ai = a + i * lda;
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            ptrdiff_t kk = 0;
            for (; kk + 4 <= k; kk += 4) {
                s0 += ai[kk] * wj[kk]; s1 += ai[kk + 1] * wj[kk + 1];
                s2 += ai[kk + 2] * wj[kk + 2]; s3 += ai[kk + 3] * wj[kk + 3];
            }
            for (; kk < k; kk++) s0 += ai[kk] * wj[kk];
            frg_store(c + i * ldc + j, (s0 + s1) + (s2 + s3), alpha, beta);
        }
    }
}

#if FRG_X86

// ---------------------------------------------------------------------------------------------
// AVX-512: 16 floats per vector, up to 8 rows × 3 weight rows = 24 accumulators of 32 registers.

#define FRG512 __attribute__((target("avx512f,avx512vl,fma")))
enum { MR512 = 8, NR512 = 3 };

/// k per turn of the row blocks in `frg_panel512` when k is short (≤ FRG_KC_MAX_K); longer rows
/// run whole (measured: 128 is 1.2–1.5× faster than whole rows at k = 576, slightly slower at 1536).
enum { FRG_KC = 128, FRG_KC_MAX_K = 1024 };

/// Part [k0, k1) of one block: rows [0, mr) of A against weight rows [0, nr) of W, accumulating
/// into `acc` (mr × NR512 vectors, zero when `first`). `prefetch`: also prefetch ahead.
FRG_AI FRG512 void frg_chunk512(int mr, int nr, int prefetch, int first, ptrdiff_t k0, ptrdiff_t k1,
                                const float *a, ptrdiff_t lda, const float *w, ptrdiff_t ldw, __m512 *acc) {
    __m512 r[MR512][NR512];
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) r[i][j] = first ? _mm512_setzero_ps() : acc[i * NR512 + j];
    const ptrdiff_t ahead = FRG_PREFETCH_BLOCKS * nr * ldw;
    ptrdiff_t kk = k0;
    for (; kk + 16 <= k1; kk += 16) {
        __m512 wv[NR512];
        for (int j = 0; j < nr; j++) {
            if (prefetch) _mm_prefetch((const char *)(w + j * ldw + kk + ahead), _MM_HINT_T1);
            wv[j] = _mm512_loadu_ps(w + j * ldw + kk);
        }
        for (int i = 0; i < mr; i++) {
            __m512 av = _mm512_loadu_ps(a + i * lda + kk);
            for (int j = 0; j < nr; j++) r[i][j] = _mm512_fmadd_ps(av, wv[j], r[i][j]);
        }
    }
    if (kk < k1) {
        __mmask16 mask = (__mmask16)((1u << (k1 - kk)) - 1u);
        __m512 wv[NR512];
        for (int j = 0; j < nr; j++) wv[j] = _mm512_maskz_loadu_ps(mask, w + j * ldw + kk);
        for (int i = 0; i < mr; i++) {
            __m512 av = _mm512_maskz_loadu_ps(mask, a + i * lda + kk);
            for (int j = 0; j < nr; j++) r[i][j] = _mm512_fmadd_ps(av, wv[j], r[i][j]);
        }
    }
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) acc[i * NR512 + j] = r[i][j];
}

#define FRG_ROWS512(NR, PF)                                                                                   \
    switch (mr) {                                                                                             \
    case 1: frg_chunk512(1, NR, PF, first, k0, k1, a, lda, w, ldw, acc); break;                               \
    case 2: frg_chunk512(2, NR, PF, first, k0, k1, a, lda, w, ldw, acc); break;                               \
    case 3: frg_chunk512(3, NR, PF, first, k0, k1, a, lda, w, ldw, acc); break;                               \
    case 4: frg_chunk512(4, NR, PF, first, k0, k1, a, lda, w, ldw, acc); break;                               \
    case 5: frg_chunk512(5, NR, PF, first, k0, k1, a, lda, w, ldw, acc); break;                               \
    case 6: frg_chunk512(6, NR, PF, first, k0, k1, a, lda, w, ldw, acc); break;                               \
    case 7: frg_chunk512(7, NR, PF, first, k0, k1, a, lda, w, ldw, acc); break;                               \
    default: frg_chunk512(8, NR, PF, first, k0, k1, a, lda, w, ldw, acc); break;                              \
    }

static FRG512 void frg_chunk_dispatch512(int mr, int nr, int pf, int first, ptrdiff_t k0, ptrdiff_t k1,
                                         const float *a, ptrdiff_t lda, const float *w, ptrdiff_t ldw, __m512 *acc) {
    if (nr == 3) {
        if (pf) { FRG_ROWS512(3, 1) } else { FRG_ROWS512(3, 0) }
    } else if (nr == 2) {
        FRG_ROWS512(2, 0)
    } else {
        FRG_ROWS512(1, 0)
    }
}

/// Every row block (up to 4) of A against weight rows [0, nr): k in chunks of FRG_KC, the row
/// blocks taking turns on each chunk (accumulators kept in `acc` between turns: same arithmetic
/// as one pass), so that a chunk's weights are still in L1 for the next row block and the weight
/// stream is consumed evenly rather than in bursts.
static FRG512 void frg_panel512(ptrdiff_t m, ptrdiff_t rowBlocks, int nr, ptrdiff_t k, float alpha, const float *a,
                                ptrdiff_t lda, const float *w, ptrdiff_t ldw, float beta, float *c, ptrdiff_t ldc) {
    __m512 acc[4][MR512 * NR512];
    const ptrdiff_t kc = k <= FRG_KC_MAX_K ? FRG_KC : k;
    for (ptrdiff_t k0 = 0; k0 < k; k0 += kc) {
        const ptrdiff_t k1 = k - k0 < kc ? k : k0 + kc;
        for (ptrdiff_t b = 0; b < rowBlocks; b++) {
            const ptrdiff_t i0 = b * m / rowBlocks, i1 = (b + 1) * m / rowBlocks;
            frg_chunk_dispatch512((int)(i1 - i0), nr, b == 0, k0 == 0, k0, k1, a + i0 * lda, lda, w, ldw, acc[b]);
        }
    }
    for (ptrdiff_t b = 0; b < rowBlocks; b++) {
        const ptrdiff_t i0 = b * m / rowBlocks, i1 = (b + 1) * m / rowBlocks;
        for (ptrdiff_t i = i0; i < i1; i++)
            for (int j = 0; j < nr; j++)
                frg_store(c + i * ldc + j, _mm512_reduce_add_ps(acc[b][(i - i0) * NR512 + j]), alpha, beta);
    }
}

// ---------------------------------------------------------------------------------------------
// AVX2 + FMA: 8 floats per vector, up to 4 rows × 3 weight rows = 12 accumulators of 16 registers.

#define FRG256 __attribute__((target("avx2,fma")))
enum { MR256 = 4, NR256 = 3 };

FRG_AI FRG256 float frg_hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

FRG_AI FRG256 void frg_block256(int mr, int nr, int prefetch, ptrdiff_t k, float alpha, const float *a,
                                ptrdiff_t lda, const float *w, ptrdiff_t ldw, float beta, float *c,
                                ptrdiff_t ldc) {
    __m256 acc[MR256][NR256];
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) acc[i][j] = _mm256_setzero_ps();
    const ptrdiff_t ahead = FRG_PREFETCH_BLOCKS * nr * ldw;
    ptrdiff_t kk = 0;
    for (; kk + 8 <= k; kk += 8) {
        __m256 wv[NR256];
        for (int j = 0; j < nr; j++) {
            if (prefetch && (kk & 15) == 0) _mm_prefetch((const char *)(w + j * ldw + kk + ahead), _MM_HINT_T1);
            wv[j] = _mm256_loadu_ps(w + j * ldw + kk);
        }
        for (int i = 0; i < mr; i++) {
            __m256 av = _mm256_loadu_ps(a + i * lda + kk);
            for (int j = 0; j < nr; j++) acc[i][j] = _mm256_fmadd_ps(av, wv[j], acc[i][j]);
        }
    }
    if (kk < k) {
        static const int lanes[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
        __m256i mask = _mm256_loadu_si256((const __m256i *)(lanes + 8 - (k - kk)));
        __m256 wv[NR256];
        for (int j = 0; j < nr; j++) wv[j] = _mm256_maskload_ps(w + j * ldw + kk, mask);
        for (int i = 0; i < mr; i++) {
            __m256 av = _mm256_maskload_ps(a + i * lda + kk, mask);
            for (int j = 0; j < nr; j++) acc[i][j] = _mm256_fmadd_ps(av, wv[j], acc[i][j]);
        }
    }
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) frg_store(c + i * ldc + j, frg_hsum256(acc[i][j]), alpha, beta);
}

#define FRG_ROWS256(NR, PF)                                                                                   \
    switch (mr) {                                                                                             \
    case 1: frg_block256(1, NR, PF, k, alpha, a, lda, w, ldw, beta, c, ldc); break;                           \
    case 2: frg_block256(2, NR, PF, k, alpha, a, lda, w, ldw, beta, c, ldc); break;                           \
    case 3: frg_block256(3, NR, PF, k, alpha, a, lda, w, ldw, beta, c, ldc); break;                           \
    default: frg_block256(4, NR, PF, k, alpha, a, lda, w, ldw, beta, c, ldc); break;                          \
    }

static FRG256 void frg_dispatch256(int mr, int nr, int pf, ptrdiff_t k, float alpha, const float *a,
                                   ptrdiff_t lda, const float *w, ptrdiff_t ldw, float beta, float *c,
                                   ptrdiff_t ldc) {
    if (nr == 3) {
        if (pf) { FRG_ROWS256(3, 1) } else { FRG_ROWS256(3, 0) }
    } else if (nr == 2) {
        FRG_ROWS256(2, 0)
    } else {
        FRG_ROWS256(1, 0)
    }
}

#endif  // FRG_X86

// ---------------------------------------------------------------------------------------------
// Level selection and the driver

static frg_level frg_detect(void) {
#if FRG_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma"))
        return FRG_LEVEL_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return FRG_LEVEL_AVX2;
#endif
    return FRG_LEVEL_SCALAR;
}

// -1 until first use; a racy first use computes the same value twice, which is harmless.
static int frg_supported = -1;
static int frg_current = -1;

frg_level frg_supported_level(void) {
    if (frg_supported < 0) frg_supported = (int)frg_detect();
    return (frg_level)frg_supported;
}

frg_level frg_current_level(void) {
    if (frg_current < 0) frg_current = (int)frg_supported_level();
    return (frg_level)frg_current;
}

frg_level frg_set_level(frg_level level) {
    int top = (int)frg_supported_level();
    int want = (int)level < 0 ? 0 : (int)level;
    frg_current = want > top ? top : want;
    return (frg_level)frg_current;
}

int frg_sgemm_nt(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha, const float *a, ptrdiff_t lda,
                 const float *w, ptrdiff_t ldw, float beta, float *c, ptrdiff_t ldc) {
    if (m < 0 || n < 0 || k < 0) return -1;
    if (m == 0 || n == 0) return 0;
    if (c == NULL || ldc < n || (k > 0 && (a == NULL || w == NULL || lda < k || ldw < k))) return -1;
    if (k == 0) {
        for (ptrdiff_t i = 0; i < m; i++)
            for (ptrdiff_t j = 0; j < n; j++) frg_store(c + i * ldc + j, 0.0f, alpha, beta);
        return 0;
    }
    frg_level level = frg_current_level();
#if FRG_X86
    if (level == FRG_LEVEL_AVX512) {
        // Groups of up to 4 row blocks (32 rows); each group streams W once.
        for (ptrdiff_t g0 = 0; g0 < m; g0 += 4 * MR512) {
            const ptrdiff_t gm = m - g0 < 4 * MR512 ? m - g0 : 4 * MR512, rowBlocks = (gm + MR512 - 1) / MR512;
            for (ptrdiff_t j0 = 0; j0 < n; j0 += NR512) {
                const int nr = (int)(n - j0 < NR512 ? n - j0 : NR512);
                frg_panel512(gm, rowBlocks, nr, k, alpha, a + g0 * lda, lda, w + j0 * ldw, ldw, beta,
                             c + g0 * ldc + j0, ldc);
            }
        }
        return 0;
    }
    if (level == FRG_LEVEL_AVX2) {
        // Row blocks of near-equal size (6 rows: 3 + 3, not 4 + 2).
        const ptrdiff_t rowBlocks = (m + MR256 - 1) / MR256;
        for (ptrdiff_t j0 = 0; j0 < n; j0 += NR256) {
            const int nr = (int)(n - j0 < NR256 ? n - j0 : NR256);
            for (ptrdiff_t b = 0; b < rowBlocks; b++) {
                const ptrdiff_t i0 = b * m / rowBlocks, i1 = (b + 1) * m / rowBlocks;
                frg_dispatch256((int)(i1 - i0), nr, b == 0, k, alpha, a + i0 * lda, lda, w + j0 * ldw, ldw, beta,
                                c + i0 * ldc + j0, ldc);
            }
        }
        return 0;
    }
#endif
    (void)level;
    frg_scalar(m, n, k, alpha, a, lda, w, ldw, beta, c, ldc);
    return 0;
}
