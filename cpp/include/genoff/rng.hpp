// Counter-based random numbers for fast fading.
//
// The n-th draw of a stream is a pure function of (seed, n): SplitMix64's n-th output
// (Steele, Lea & Flood 2014) with the stream's state seeded by mix64(seed). Any thread can
// draw any element in any order, so results never depend on the thread count, and the
// NumPy reference (genoff._reference) computes the very same numbers.
#pragma once

#include <cstdint>

#include "genoff/fastmath.hpp"

namespace genoff::rng {

constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

inline std::uint64_t mix64(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// The stream key of a user-facing seed.
inline std::uint64_t key(std::uint64_t seed) noexcept { return mix64(seed); }

// Uniform on (0, 1] with 53 random bits: ((z >> 11) + 1) * 2^-53.
inline double uniform(std::uint64_t key, std::uint64_t n) noexcept {
  const std::uint64_t z = mix64(key + (n + 1) * kGolden);
  return double((z >> 11) + 1) * 0x1.0p-53;
}

// Exp(1) draw: the power |h|^2 of a unit-mean Rayleigh channel coefficient.
inline double exp1(std::uint64_t key, std::uint64_t n) noexcept {
  return -fastmath::log_pos(uniform(key, n));
}

}  // namespace genoff::rng
