#include "CKernels.h"
#include <stdint.h>
#include <string.h>

// No fused multiply-add contraction: the results must equal the Swift reference bit for bit.
#pragma clang fp contract(off)

#if defined(__x86_64__) && defined(__clang__)
#define STEERLENS_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define STEERLENS_CLONES
#endif

/// `α·(eˣ − 1)` for `x ≤ 0`: the exact operation sequence of `ActivationKind.eluNegativeBranch` (Swift).
static inline float elu_negative_branch(float x, float alpha) {
    float clamped = x < -30.0f ? -30.0f : x;  // Swift max(x, -30): NaN stays NaN
    clamped = 0.0f < clamped ? 0.0f : clamped; // Swift min(·, 0)
    float shifted = clamped * 1.44269504f + 12582912.0f;
    float n = shifted - 12582912.0f;
    float r = (clamped - n * 0.693145751953125f) - n * 1.428606765330187e-6f;
    uint32_t bits;
    memcpy(&bits, &shifted, sizeof bits);
    uint32_t scale_bits = (bits - 0x4B400000u + 127u) << 23;
    float scale;
    memcpy(&scale, &scale_bits, sizeof scale);
    float p = r + r * r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720 + r * (1.0f / 5040))))));
    return alpha * (scale * p + (scale - 1));
}

STEERLENS_CLONES
void steerlens_bias_elu(float *restrict values, long rows, const float *restrict bias, long features, float alpha) {
    for (long row = 0; row < rows; row++) {
        float *restrict v = values + row * features;
        for (long j = 0; j < features; j++) {
            float x = bias ? v[j] + bias[j] : v[j];
            float negative = elu_negative_branch(x, alpha);
            v[j] = x > 0 ? x : negative;
        }
    }
}
