// Private to the core's .cpp files: runtime ISA dispatch for hot loops.
#pragma once

// AVX2 and AVX-512 clones picked at load time (ifunc); the default build stays portable.
#if defined(GENOFF_TARGET_CLONES) && defined(GENOFF_NO_AVX512)
#define GENOFF_CLONES __attribute__((target_clones("default", "arch=x86-64-v3")))
#elif defined(GENOFF_TARGET_CLONES)
#define GENOFF_CLONES __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define GENOFF_CLONES
#endif

#if defined(__GNUC__)
#define GENOFF_INLINE inline __attribute__((always_inline))
#else
#define GENOFF_INLINE inline
#endif
