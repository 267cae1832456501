// WorkerPool: a fixed set of threads running submitted jobs in FIFO order.
// Each job is told which worker runs it, so per-thread state (a zstd context)
// can live in an array indexed by worker. Submit may be called from any
// thread. The destructor drops jobs not yet started (their futures report a
// broken promise) and waits for running ones, so an early return is quick;
// declare the pool after everything its jobs use.
#ifndef FLEETCAST_CORE_WORKER_POOL_H_
#define FLEETCAST_CORE_WORKER_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace fleetcast {

class WorkerPool {
 public:
  /// threads == 0 means one per core.
  explicit WorkerPool(size_t threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  size_t size() const { return threads_.size(); }

  /// Runs job(worker_index) on some worker; the future holds its result.
  template <typename F>
  auto Submit(F job) -> std::future<std::invoke_result_t<F, size_t>> {
    using R = std::invoke_result_t<F, size_t>;
    auto task = std::make_shared<std::packaged_task<R(size_t)>>(std::move(job));
    std::future<R> result = task->get_future();
    Enqueue([task](size_t worker) { (*task)(worker); });
    return result;
  }

  /// Threads to use for a request of `threads` (0 = one per core).
  static size_t Resolve(size_t threads);

 private:
  void Enqueue(std::function<void(size_t)> job);
  void Run(size_t worker);

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void(size_t)>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_WORKER_POOL_H_
