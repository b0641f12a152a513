// Elementwise kernels of the NeuralNet engine that the Swift compiler can only vectorise for the
// baseline x86-64 (SSE2): here they are compiled for AVX2 + FMA as well and the best version is picked
// at load time (clang's target_clones, an ifunc), with the same operations in the same order, so
// every version returns bit-identical results.
#ifndef STEERLENS_CKERNELS_H
#define STEERLENS_CKERNELS_H

/// `values[r·features + j] = elu(values[r·features + j] + bias[j])` for `rows` rows (`bias` may be NULL):
/// `x > 0 ? x : α(eˣ − 1)`, with eˣ − 1 from NeuralNet's `ActivationKind.eluNegativeBranch` polynomial.
void steerlens_bias_elu(float *values, long rows, const float *bias, long features, float alpha);

#endif
