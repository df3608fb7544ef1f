#include "parallel.hpp"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#ifdef GENOFF_HAS_OPENMP
#include <omp.h>
#endif

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#define GENOFF_HAVE_GETPID 1
#endif

namespace genoff {

bool has_openmp() noexcept {
#ifdef GENOFF_HAS_OPENMP
  return true;
#else
  return false;
#endif
}

int resolve_threads(int n_threads) {
  if (n_threads < 0) throw InvalidArgument("n_threads", "must be >= 0 (0 = all), got " + std::to_string(n_threads));
#ifdef GENOFF_HAS_OPENMP
  if (n_threads == 0) return omp_get_max_threads();
  const int cap = 4 * (omp_get_num_procs() > 1 ? omp_get_num_procs() : 1);
  return n_threads < cap ? n_threads : cap;
#else
  return 1;
#endif
}

}  // namespace genoff

namespace genoff::pool {
namespace {

struct Job {
  Body body = nullptr;
  void* ctx = nullptr;
  index_t n = 0, chunk = 1, num_chunks = 0;
  int max_slots = 1;
  std::atomic<index_t> next{0};       // next chunk to claim
  std::atomic<index_t> remaining{0};  // chunks not finished
  std::atomic<int> slots{1};          // participants so far (the caller is slot 0)
  std::mutex m;
  std::condition_variable cv;
  bool finished = false;
  std::exception_ptr error;

  // Claims and runs chunks until none is left. Returns when this thread can claim no more.
  void work(int slot) {
    while (true) {
      const index_t c = next.fetch_add(1, std::memory_order_relaxed);
      if (c >= num_chunks) return;
      const index_t b = c * chunk, e = b + chunk < n ? b + chunk : n;
      try {
        body(ctx, b, e, slot);
      } catch (...) {
        std::lock_guard<std::mutex> lock(m);
        if (!error) error = std::current_exception();
      }
      if (remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(m);
        finished = true;
        cv.notify_all();
      }
    }
  }
};

class Pool {
 public:
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) {
      if (t.joinable()) t.join();
    }
  }

  void run(const std::shared_ptr<Job>& job, int helpers) {
    {
      std::lock_guard<std::mutex> lock(m_);
      while (int(workers_.size()) < helpers) workers_.emplace_back([this] { loop(); });
      current_ = job;
      ++generation_;
    }
    if (helpers >= int(workers_.size())) {
      cv_.notify_all();
    } else {
      for (int i = 0; i < helpers; ++i) cv_.notify_one();
    }
  }

 private:
  void loop() {
    std::uint64_t seen = 0;
    while (true) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        job = current_;
      }
      if (!job) continue;
      const int slot = job->slots.fetch_add(1, std::memory_order_relaxed);
      if (slot < job->max_slots) job->work(slot);
    }
  }

  std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::thread> workers_;
  std::shared_ptr<Job> current_;
  std::uint64_t generation_ = 0;
  bool stop_ = false;
};

// One pool per process. A forked child gets a fresh one (the parent's threads do not exist
// there); the parent's object is leaked in the child on purpose (its threads cannot be joined).
Pool& instance() {
  static Pool* pool = nullptr;
#ifdef GENOFF_HAVE_GETPID
  static pid_t owner = 0;
  static std::mutex guard;
  std::lock_guard<std::mutex> lock(guard);
  if (pool == nullptr || owner != getpid()) {
    pool = new Pool();
    owner = getpid();
  }
#else
  static std::once_flag once;
  std::call_once(once, [] { pool = new Pool(); });
#endif
  return *pool;
}

}  // namespace

void run(index_t n, index_t chunk, int threads, Body body, void* ctx) {
  auto job = std::make_shared<Job>();
  job->body = body;
  job->ctx = ctx;
  job->n = n;
  job->chunk = chunk;
  job->num_chunks = (n + chunk - 1) / chunk;
  job->remaining.store(job->num_chunks);
  const index_t useful = job->num_chunks < index_t(threads) ? job->num_chunks : index_t(threads);
  job->max_slots = int(useful);
  instance().run(job, int(useful) - 1);
  job->work(0);  // the caller works too, and alone if no worker shows up in time
  // What is left is a chunk another thread is running: short, so wait for it runnable (yield)
  // for a while before sleeping; a sleeping caller on a busy machine waits a time slice to be
  // woken.
  for (int i = 0; i < 2000 && job->remaining.load(std::memory_order_acquire) != 0; ++i) {
    std::this_thread::yield();
  }
  {
    std::unique_lock<std::mutex> lock(job->m);
    job->cv.wait(lock, [&] { return job->finished; });
  }
  if (job->error) std::rethrow_exception(job->error);
}

}  // namespace genoff::pool
