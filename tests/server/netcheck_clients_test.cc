// NetcheckClients: who gets what message, and what the check's waits return.
#include "server/netcheck_clients.h"

#include <gtest/gtest.h>

#include <thread>

namespace fleetcast {
namespace {

using Inbox = std::vector<control::Message>;

class NetcheckClientsTest : public ::testing::Test {
 protected:
  NetcheckClients::Sender To(const std::string& node) {
    return [this, node](const control::Message& m) { inbox_[node].push_back(m); };
  }
  std::string Last(const std::string& node) { return control::TypeName(inbox_[node].back()); }

  const control::Netcheck check_{7, "239.77.0.1", 7010, {}, {100'000'000}, {1472}};
  NetcheckClients clients_{check_};
  std::map<std::string, Inbox> inbox_;
  std::atomic<bool> stop_{false};
};

TEST_F(NetcheckClientsTest, AJoiningClientGetsTheCheckAtOnce) {
  clients_.Join("a", To("a"));
  ASSERT_EQ(inbox_["a"].size(), 1u);
  EXPECT_EQ(std::get<control::Netcheck>(inbox_["a"][0]), check_);
}

TEST_F(NetcheckClientsTest, WaitsForEnoughClientsThenOnlyForTheReadyOnes) {
  clients_.Join("a", To("a"));
  std::thread late([this] {
    clients_.Join("b", To("b"));
    clients_.OnReady("a");
  });
  EXPECT_EQ(clients_.WaitForClients(2, std::chrono::seconds(60), &stop_),
            (std::vector<std::string>{"a", "b"}));
  late.join();
  // b never joins the group: the check runs with a alone.
  EXPECT_EQ(clients_.WaitForReady(std::chrono::milliseconds(50), &stop_),
            std::vector<std::string>{"a"});
  clients_.Join("c", To("c"));  // too late
  EXPECT_EQ(std::get<control::Error>(inbox_["c"].back()).message,
            "the netcheck already began; start this client before the next one");
  clients_.Finish({"a"});
  EXPECT_EQ(std::get<control::Release>(inbox_["a"].back()).action, "exit");
  EXPECT_EQ(std::get<control::Error>(inbox_["b"].back()).message,
            "the netcheck ran without this client: it did not join the test group within 10 s");
}

TEST_F(NetcheckClientsTest, BeforeADeploymentALateClientIsToldWhyAtOnce) {
  NetcheckClients first{check_, /*then_deploy=*/true};
  first.Join("a", To("a"));
  first.OnReady("a");
  EXPECT_EQ(first.WaitForReady(std::chrono::seconds(60), &stop_), std::vector<std::string>{"a"});
  first.Join("late", To("late"));
  ASSERT_EQ(inbox_["late"].size(), 1u);
  EXPECT_EQ(std::get<control::Error>(inbox_["late"][0]).message,
            "a netcheck is running without this client; start the clients before the check, or "
            "this one again once the check is over to join the deployment");
  // The check goes on with a alone.
  EXPECT_EQ(first.WaitForReports({"a"}, std::chrono::milliseconds(1), &stop_).size(), 0u);
  first.Send({"a", "late"}, control::NetcheckEnd{{10}});
  EXPECT_EQ(inbox_["late"].size(), 1u);
  EXPECT_EQ(Last("a"), "netcheck_end");
}

TEST_F(NetcheckClientsTest, CollectsReportsAndForgetsClientsThatLeft) {
  for (const char* node : {"a", "b", "c"}) {
    clients_.Join(node, To(node));
    clients_.OnReady(node);
  }
  ASSERT_EQ(clients_.WaitForReady(std::chrono::seconds(60), &stop_).size(), 3u);
  clients_.Send({"a", "b", "c"}, control::NetcheckEnd{{10}});
  EXPECT_EQ(Last("b"), "netcheck_end");
  const control::NetcheckReport report{{{10, 9, 1, 0, 0, 1000, 5}}};
  std::thread answers([&] {
    clients_.OnReport("a", report);
    clients_.Leave("b");
    clients_.OnReport("c", report);
  });
  const auto reports = clients_.WaitForReports({"a", "b", "c"}, std::chrono::seconds(60), &stop_);
  answers.join();
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports.at("a"), report);
  EXPECT_EQ(reports.at("c"), report);
  clients_.Leave("a");
  clients_.Leave("c");
  clients_.WaitForHangUps(std::chrono::seconds(60));  // returns at once: nobody is left
}

TEST_F(NetcheckClientsTest, StopEndsTheWaitForClients) {
  stop_ = true;
  EXPECT_TRUE(clients_.WaitForClients(1, std::chrono::seconds(60), &stop_).empty());
}

}  // namespace
}  // namespace fleetcast
