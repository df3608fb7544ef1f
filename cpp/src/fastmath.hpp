// Private to the core: vectorizable natural logarithm for the hot loops (double here, the
// float32 one of the fading transform in rng.hpp shares its kernel).
//
// glibc's log() is a function call the compiler cannot vectorize; these inline versions
// follow the classic fdlibm reduction (x = 2^k m, m in [sqrt(2)/2, sqrt(2)), log m from
// an odd series in s = (m-1)/(m+1)) and are accurate to about 1 ulp. They are branch-free
// so a loop over them vectorizes. Domain: finite x > 0 that is a normal number.
#pragma once

#include <cstdint>
#include <cstring>

#include "simd.hpp"

namespace genoff::fastmath {

// The constants of the log kernel in one precision: ln 2 split into a high part (exact in
// products with small integers) and a low part, and the coefficients lg1..lg7 of the odd
// series. fdlibm's for double, musl's logf for float.
template <class T>
struct LogCoefficients;

template <>
struct LogCoefficients<double> {
  static constexpr double ln2_hi = 6.93147180369123816490e-01;
  static constexpr double ln2_lo = 1.90821492927058770002e-10;
  static constexpr double lg1 = 6.666666666666735130e-01, lg2 = 3.999999999940941908e-01,
                          lg3 = 2.857142874366239149e-01, lg4 = 2.222219843214978396e-01,
                          lg5 = 1.818357216161805012e-01, lg6 = 1.531383769920937332e-01,
                          lg7 = 1.479819860511658591e-01;
};

template <>
struct LogCoefficients<float> {
  static constexpr float ln2_hi = 6.9313812256e-01f, ln2_lo = 9.0580006145e-06f;
  static constexpr float lg1 = 6.6666668653e-01f, lg2 = 4.0000000596e-01f,
                         lg3 = 2.8571429849e-01f, lg4 = 2.2222198546e-01f,
                         lg5 = 1.8183572590e-01f, lg6 = 1.5313838422e-01f,
                         lg7 = 1.4798198640e-01f;
};

// log(2^k m) for a mantissa m in [sqrt(2)/2, sqrt(2)), every operation in T's precision and in
// a fixed order: log m from the odd series in s = (m-1)/(m+1), plus k ln 2 in two parts.
template <class T>
GENOFF_INLINE T log_reduced(T m, std::int32_t k) noexcept {
  using C = LogCoefficients<T>;
  const T f = m - T(1);
  const T hfsq = T(0.5) * f * f;
  const T s = f / (T(2) + f);
  const T z = s * s;
  const T w = z * z;
  const T t1 = w * (C::lg2 + w * (C::lg4 + w * C::lg6));
  const T t2 = z * (C::lg1 + w * (C::lg3 + w * (C::lg5 + w * C::lg7)));
  const T r = t2 + t1;
  const T dk = T(k);
  return s * (hfsq + r) + dk * C::ln2_lo - hfsq + f + dk * C::ln2_hi;
}

inline double log_pos(double x) noexcept {
  std::uint64_t ix;
  std::memcpy(&ix, &x, sizeof ix);
  // Shift the exponent so the mantissa lands in [sqrt(2)/2, sqrt(2)).
  ix += std::uint64_t(0x3ff00000 - 0x3fe6a09e) << 32;
  const std::int32_t k = std::int32_t(ix >> 52) - 0x3ff;
  ix = (ix & 0x000fffffffffffffULL) + (std::uint64_t(0x3fe6a09e) << 32);
  double m;
  std::memcpy(&m, &ix, sizeof m);
  return log_reduced(m, k);
}

// log(1 + x) for finite x >= 0, accurate for tiny x too. With u = 1 + x rounded,
// log1p(x) = log(u) + log(1 + c/u) ~= log(u) + c/u, where c = x - (u - 1) is the rounding
// error of u (exact for x <= 1; for x > 1 it is below half an ulp of log(u) and dropped).
// c/u needs little relative accuracy (|c/u| <= 2^-53), so 1/u is the series 1 - d + d^2
// (d = u - 1): one division in all, inside log_pos.
inline double log1p_nonneg(double x) noexcept {
  const double u = 1.0 + x;
  const bool small = x <= 1.0;
  const double d = small ? u - 1.0 : 0.0;  // 0 for x > 1 also keeps d * d from overflowing
  const double c = small ? x - d : 0.0;
  return log_pos(u) + c * (1.0 - d + d * d);
}

}  // namespace genoff::fastmath
