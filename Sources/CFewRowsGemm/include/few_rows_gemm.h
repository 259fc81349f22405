// Few-rows F32 GEMM against a weight matrix stored [n, k] row-major (the Hugging Face Linear
// layout): C[m, n] = alpha · A[m, k] · Wᵀ + beta · C. Made for decode steps, where ~16 rows meet
// every weight of the model once: the weights are streamed once with software prefetch and each
// loaded weight vector is reused across all the rows in registers, with no packing. AVX-512 or
// AVX2+FMA chosen at run time, portable C otherwise. Single-threaded: callers split n.
#ifndef TRIBUTARY_FEW_ROWS_GEMM_H
#define TRIBUTARY_FEW_ROWS_GEMM_H

#include <stddef.h>

/// Instruction sets `frg_sgemm_nt` can use.
typedef enum {
    FRG_LEVEL_SCALAR = 0,
    FRG_LEVEL_AVX2 = 1,
    FRG_LEVEL_AVX512 = 2,
} frg_level;

/// C[m, n] = alpha · A[m, k] · Wᵀ + beta · C, all row-major: row i of A at a + i·lda, row j of W
/// at w + j·ldw (k floats each), element (i, j) of C at c + i·ldc + j. With beta == 0, C is only
/// written (never read). k == 0 gives alpha·0 + beta·C. Returns 0, or -1 without touching C when
/// a dimension is negative, a leading dimension is shorter than its row, or a pointer that is
/// needed is NULL.
int frg_sgemm_nt(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                 const float *a, ptrdiff_t lda, const float *w, ptrdiff_t ldw,
                 float beta, float *c, ptrdiff_t ldc);

/// The best level this CPU supports.
frg_level frg_supported_level(void);

/// The level `frg_sgemm_nt` uses (the supported one unless lowered by `frg_set_level`).
frg_level frg_current_level(void);

/// Uses `level`, or the supported level when `level` is higher (tests run every path this CPU
/// has). Not thread-safe against concurrent `frg_sgemm_nt` calls; returns the level now in use.
frg_level frg_set_level(frg_level level);

#endif
