#include "core/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <vector>

namespace fleetcast {
namespace {

TEST(WorkerPool, RunsEveryJobAndReturnsResults) {
  WorkerPool pool(3);
  EXPECT_EQ(pool.size(), 3u);
  std::vector<std::future<int>> results;
  for (int i = 0; i < 100; ++i) {
    results.push_back(pool.Submit([i](size_t) { return i * i; }));
  }
  for (int i = 0; i < 100; ++i) EXPECT_EQ(results[i].get(), i * i);
}

TEST(WorkerPool, TellsEachJobItsWorker) {
  WorkerPool pool(2);
  std::vector<std::future<size_t>> results;
  for (int i = 0; i < 50; ++i) results.push_back(pool.Submit([](size_t w) { return w; }));
  for (auto& r : results) EXPECT_LT(r.get(), 2u);
}

TEST(WorkerPool, ZeroMeansOnePerCore) {
  EXPECT_GE(WorkerPool::Resolve(0), 1u);
  EXPECT_EQ(WorkerPool::Resolve(5), 5u);
}

}  // namespace
}  // namespace fleetcast
