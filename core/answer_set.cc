#include "core/answer_set.h"

#include "core/cloud_init.h"
#include "core/sysprep_inf.h"
#include "core/unattend_xml.h"

namespace fleetcast {

namespace {

control::AnswerFile File(std::string_view path, const std::string& text) {
  return {std::string(path), Bytes(text.begin(), text.end())};
}

}  // namespace

std::string CallbackUrl(std::string_view server_host, uint16_t http_port, std::string_view mac) {
  return "http://" + std::string(server_host) + ":" + std::to_string(http_port) + "/api/nodes/" +
         std::string(mac) + "/up";
}

std::vector<control::AnswerFile> RenderAnswers(const NodeSpec& node, const GroupSpec* group,
                                               const NodeSecrets& secrets,
                                               std::string_view callback_url) {
  std::vector<control::AnswerFile> files;
  switch (node.flavour) {
    case Flavour::kSysprepInf:
      files.push_back(File(kSysprepInfPath, RenderSysprepInf(node, group, secrets)));
      if (!node.setup_commands.empty()) {
        files.push_back(File(kCmdlinesPath, RenderCmdlines(node)));
      }
      break;
    case Flavour::kUnattendXml:
      files.push_back(File(kUnattendPath, RenderUnattendXml(node, group, secrets, callback_url)));
      break;
    case Flavour::kCloudInit: {
      const NoCloudSeed seed = RenderNoCloud(node, group, secrets, callback_url);
      const std::string dir(kNoCloudDir);
      files.push_back(File(dir + "meta-data", seed.meta_data));
      files.push_back(File(dir + "network-config", seed.network_config));
      files.push_back(File(dir + "user-data", seed.user_data));
      break;
    }
  }
  return files;
}

}  // namespace fleetcast
