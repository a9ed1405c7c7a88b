// The namespace of one build of the kernel sources: tk::base (AVX2/FMA on x86-64, NEON or plain
// code elsewhere) or tk::avx512 (binding.gyp passes -DTK_ISA=avx512 with the AVX-512 flags).
// Everything a kernel source defines, inline helpers and templates included, lives in it: a
// definition shared by name between the two builds would be merged by the linker, and the AVX2
// path could end up running the AVX-512 copy (an illegal instruction on an AVX2-only CPU).
#pragma once

#ifndef TK_ISA
#define TK_ISA base
#endif
