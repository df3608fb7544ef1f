// Vectorizable natural logarithm for the core's hot loops.
//
// glibc's log() is a function call the compiler cannot vectorize; these inline versions
// follow the classic fdlibm reduction (x = 2^k m, m in [sqrt(2)/2, sqrt(2)), log m from
// an odd series in s = (m-1)/(m+1)) and are accurate to about 1 ulp. They are branch-free
// so a loop over them vectorizes. Domain: finite x > 0 that is a normal number.
#pragma once

#include <cstdint>
#include <cstring>

namespace genoff::fastmath {

inline double log_pos(double x) noexcept {
  constexpr double ln2_hi = 6.93147180369123816490e-01;
  constexpr double ln2_lo = 1.90821492927058770002e-10;
  constexpr double lg1 = 6.666666666666735130e-01, lg2 = 3.999999999940941908e-01,
                   lg3 = 2.857142874366239149e-01, lg4 = 2.222219843214978396e-01,
                   lg5 = 1.818357216161805012e-01, lg6 = 1.531383769920937332e-01,
                   lg7 = 1.479819860511658591e-01;
  std::uint64_t ix;
  std::memcpy(&ix, &x, sizeof ix);
  // Shift the exponent so the mantissa lands in [sqrt(2)/2, sqrt(2)).
  ix += std::uint64_t(0x3ff00000 - 0x3fe6a09e) << 32;
  const std::int32_t k = std::int32_t(ix >> 52) - 0x3ff;
  ix = (ix & 0x000fffffffffffffULL) + (std::uint64_t(0x3fe6a09e) << 32);
  double m;
  std::memcpy(&m, &ix, sizeof m);
  const double f = m - 1.0;
  const double hfsq = 0.5 * f * f;
  const double s = f / (2.0 + f);
  const double z = s * s;
  const double w = z * z;
  const double t1 = w * (lg2 + w * (lg4 + w * lg6));
  const double t2 = z * (lg1 + w * (lg3 + w * (lg5 + w * lg7)));
  const double r = t2 + t1;
  const double dk = double(k);
  return s * (hfsq + r) + dk * ln2_lo - hfsq + f + dk * ln2_hi;
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
