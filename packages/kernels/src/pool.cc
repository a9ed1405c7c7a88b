// The GEMM thread pool: detached workers that wait for a job (spinning briefly, then on a condition
// variable) and take its tasks from a shared counter. The counter carries the job's generation in
// its high half, so a worker that is late for a job can never take a task of the next one with the
// previous job's function.
#include "pool.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#if defined(__x86_64__)
#include <immintrin.h>
#define TK_PAUSE() _mm_pause()
#else
#define TK_PAUSE() ((void)0)
#endif

namespace tk {
namespace {

constexpr int kMaxThreads = 64;
constexpr int kSpins = 4000;  // pause loops before a worker sleeps (~0.1-0.5 ms: PAUSE takes 10-140 cycles): GEMMs come in runs

struct Pool {
  std::mutex m;
  std::condition_variable wake;
  std::atomic<uint32_t> generation{0};
  std::atomic<uint64_t> ticket{0};  // generation << 32 | next task
  std::atomic<int> finished{0};
  std::atomic_flag busy = ATOMIC_FLAG_INIT;
  // the current job, written under m
  void (*fn)(void*, int) = nullptr;
  void* ctx = nullptr;
  int tasks = 0;
  int threads = 1;
  int workers = 0;  // started so far (they are never stopped: the process exits with them asleep)

  bool grab(uint32_t gen, int n, int* task) {
    uint64_t cur = ticket.load(std::memory_order_relaxed);
    for (;;) {
      if (static_cast<uint32_t>(cur >> 32) != gen) return false;
      const int next = static_cast<int>(cur & 0xffffffffu);
      if (next >= n) return false;
      if (ticket.compare_exchange_weak(cur, cur + 1, std::memory_order_acq_rel)) {
        *task = next;
        return true;
      }
    }
  }

  void work() {
    uint32_t seen = 0;
    for (;;) {
      int spins = 0;
      while (generation.load(std::memory_order_acquire) == seen && spins < kSpins) TK_PAUSE(), ++spins;
      void (*f)(void*, int);
      void* c;
      int n;
      {
        std::unique_lock<std::mutex> lock(m);
        wake.wait(lock, [&] { return generation.load(std::memory_order_relaxed) != seen; });
        seen = generation.load(std::memory_order_relaxed);
        f = fn, c = ctx, n = tasks;
      }
      int t;
      while (grab(seen, n, &t)) {
        f(c, t);
        finished.fetch_add(1, std::memory_order_release);
      }
    }
  }
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: detached workers may still wait on it at exit
  return *p;
}

}  // namespace

int pool_threads() { return pool().threads; }

void set_pool_threads(int n) {
  Pool& p = pool();
  n = n < 1 ? 1 : n > kMaxThreads ? kMaxThreads : n;
  std::lock_guard<std::mutex> lock(p.m);
  p.threads = n;
}

void parallel_for(int tasks, void (*fn)(void*, int), void* ctx) {
  Pool& p = pool();
  if (tasks <= 0) return;
  if (tasks == 1 || p.threads <= 1 || p.busy.test_and_set(std::memory_order_acquire)) {
    for (int t = 0; t < tasks; ++t) fn(ctx, t);
    return;
  }
  uint32_t gen;
  {
    std::lock_guard<std::mutex> lock(p.m);
    while (p.workers < p.threads - 1) {
      std::thread([&p] { p.work(); }).detach();
      ++p.workers;
    }
    p.fn = fn, p.ctx = ctx, p.tasks = tasks;
    p.finished.store(0, std::memory_order_relaxed);
    gen = p.generation.load(std::memory_order_relaxed) + 1;
    p.ticket.store(static_cast<uint64_t>(gen) << 32, std::memory_order_relaxed);
    p.generation.store(gen, std::memory_order_release);
  }
  p.wake.notify_all();
  int t;
  while (p.grab(gen, tasks, &t)) {
    fn(ctx, t);
    p.finished.fetch_add(1, std::memory_order_release);
  }
  for (int spins = 0; p.finished.load(std::memory_order_acquire) < tasks; ++spins) {
    if (spins < kSpins) TK_PAUSE();
    else std::this_thread::yield();
  }
  p.busy.clear(std::memory_order_release);
}

}  // namespace tk
