#include "core/answer_set.h"

#include <gtest/gtest.h>

namespace fleetcast {
namespace {

std::vector<std::string> Paths(const std::vector<control::AnswerFile>& files) {
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(f.path);
  return out;
}

std::string Text(const control::AnswerFile& file) {
  return std::string(file.data.begin(), file.data.end());
}

NodeSpec Node(Flavour flavour) {
  NodeSpec node;
  node.hostname = "N1";
  node.mac = "52:54:00:00:00:01";
  node.ip = "10.0.0.5";
  node.gateway = "10.0.0.1";
  node.flavour = flavour;
  return node;
}

TEST(AnswerSetTest, FilesFollowTheFlavour) {
  const std::string url = CallbackUrl("10.0.0.1", 8080, "52:54:00:00:00:01");
  EXPECT_EQ(url, "http://10.0.0.1:8080/api/nodes/52:54:00:00:00:01/up");
  NodeSpec old = Node(Flavour::kSysprepInf);
  EXPECT_EQ(Paths(RenderAnswers(old, nullptr, {}, url)), std::vector<std::string>{"sysprep.inf"});
  old.setup_commands = {"fw.cmd"};
  const auto with_setup = RenderAnswers(old, nullptr, {}, url);
  EXPECT_EQ(Paths(with_setup), (std::vector<std::string>{"sysprep.inf", "cmdlines.txt"}));
  EXPECT_NE(Text(with_setup[1]).find("\"fw.cmd\""), std::string::npos);
  EXPECT_EQ(Paths(RenderAnswers(Node(Flavour::kUnattendXml), nullptr, {}, url)),
            std::vector<std::string>{"unattend.xml"});
  const auto seed = RenderAnswers(Node(Flavour::kCloudInit), nullptr, {}, url);
  EXPECT_EQ(Paths(seed), (std::vector<std::string>{"nocloud/meta-data", "nocloud/network-config",
                                                   "nocloud/user-data"}));
  EXPECT_NE(Text(seed[2]).find(url), std::string::npos);
}

}  // namespace
}  // namespace fleetcast
