// Private to the core: counter-based random numbers for fast fading.
//
// Draw n of a stream is a pure function of (seed, n), so any thread can draw any element in
// any order: results never depend on the thread count, and the NumPy reference
// (genoff._reference) computes the very same numbers, bit for bit.
//
// The stream: the m-th 64-bit output of SplitMix64 (Steele, Lea & Flood 2014) with its state
// seeded by mix64(seed), z_m = mix64(key + (m + 1) * golden), split into two 32-bit words,
// low word first: draw n is word n of that sequence (n = 2m: low half of z_m, n = 2m + 1:
// high half). One 64-bit mix serves two draws, and a loop over draws vectorizes.
//
// Transform: u = (top 24 bits of the word + 1) * 2^-24, exactly representable in float32 and
// in (0, 1]; the Exp(1) power |h|^2 of a unit-mean Rayleigh coefficient is -log(u), computed
// in float32 (the FreeBSD/musl logf reduction and polynomial, branch-free, about 1 ulp) and
// widened to double. Every operation is a correctly rounded IEEE float32 operation in a fixed order (the
// core is built without FMA contraction), which is what lets NumPy reproduce it exactly.
// Range: [0, 16.64]; resolution near 0 is 2^-24 (the deep-fade end), and the tail beyond
// 24 ln 2 = 16.64 (probability 6e-8) is cut off.
#pragma once

#include <cstdint>
#include <cstring>

#include "fastmath.hpp"

namespace genoff::rng {

constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

inline std::uint64_t mix64(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// The stream key of a user-facing seed.
inline std::uint64_t key(std::uint64_t seed) noexcept { return mix64(seed); }

// The m-th 64-bit output of the stream (two draws: 2m in the low word, 2m + 1 in the high).
inline std::uint64_t pair(std::uint64_t key, std::uint64_t m) noexcept {
  return mix64(key + (m + 1) * kGolden);
}

// -log(u) for u = ((w >> 8) + 1) * 2^-24, in float32 (musl's logf without its special cases,
// which cannot occur for u in [2^-24, 1]).
inline float exp1_of_word(std::uint32_t w) noexcept {
  const float u = float((w >> 8) + 1u) * 0x1.0p-24f;
  std::uint32_t ix;
  std::memcpy(&ix, &u, sizeof ix);
  // Shift the exponent so the mantissa lands in [sqrt(2)/2, sqrt(2)).
  ix += 0x3f800000u - 0x3f3504f3u;
  const std::int32_t k = std::int32_t(ix >> 23) - 0x7f;
  ix = (ix & 0x007fffffu) + 0x3f3504f3u;
  float m;
  std::memcpy(&m, &ix, sizeof m);
  const float log_u = fastmath::log_reduced(m, k);
  return 0.0f - log_u;  // 0 - log(1) = +0, never -0
}

// Exp(1) draw number n of the stream `key` (scalar; the kernels use the vectorized exp1_block
// in channel.cpp, which computes the same numbers).
inline double exp1(std::uint64_t key, std::uint64_t n) noexcept {
  const std::uint64_t z = pair(key, n >> 1);
  return double(exp1_of_word(std::uint32_t(z >> (32 * (n & 1)))));
}

}  // namespace genoff::rng
