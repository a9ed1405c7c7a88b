// A small persistent thread pool for splitting large GEMMs (gemm_entry.cc). Built once, with
// baseline flags (it does no arithmetic). Which thread runs which task never changes a result:
// the tasks write disjoint blocks of the output, each computed exactly as the serial code does.
#pragma once

namespace tk {

// Threads a split product uses, the caller included (1: never split). Workers start lazily.
int pool_threads();
void set_pool_threads(int n);

// Runs fn(ctx, t) for every t in [0, tasks) on the pool's threads and the caller, and returns when
// all have finished. When the pool is already in use (another JS thread), or has one thread, the
// caller runs every task itself: the same results, serially.
void parallel_for(int tasks, void (*fn)(void* ctx, int task), void* ctx);

}  // namespace tk
