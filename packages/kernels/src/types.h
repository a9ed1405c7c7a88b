// The kernels' shared types: op codes (they must match index.cjs) and AdamW's arguments. Defined
// once in namespace tk; every instruction-set build of the kernels (kernels.h) uses them.
#pragma once
#include <cstdint>

namespace tk {

enum BinaryOp { kAdd, kSub, kMul, kDiv, kMax, kMin, kSquaredDiff, kPow, kBinaryOps };
enum UnaryOp { kExp, kSigmoid, kSqrt, kRsqrt, kSquare, kNeg, kLog, kTanh, kAbs, kRelu, kFloor, kReciprocal, kUnaryOps };
enum ReduceOp { kSum, kMean, kMaxR, kMinR, kProd };
struct AdamWArgs {
  float b1, oneMinusB1, b2, oneMinusB2, c1, c2, eps, lr, weightDecay, scale;
  bool hasScale, decay;
};

}  // namespace tk
