// The answer files of one node, by its flavour, as the paths the client
// writes them under: sysprep.inf + cmdlines.txt, unattend.xml, or the NoCloud
// seed nocloud/{meta-data,user-data,network-config}. Driver catalogs are
// added by the server (they are files on its disk, not rendered text).
#ifndef FLEETCAST_CORE_ANSWER_SET_H_
#define FLEETCAST_CORE_ANSWER_SET_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/control_message.h"
#include "core/inventory.h"

namespace fleetcast {

/// Where a node reports that it is up: "http://HOST:PORT/api/nodes/MAC/up".
std::string CallbackUrl(std::string_view server_host, uint16_t http_port, std::string_view mac);

/// Renders every answer file of node; pure.
std::vector<control::AnswerFile> RenderAnswers(const NodeSpec& node, const GroupSpec* group,
                                               const NodeSecrets& secrets,
                                               std::string_view callback_url);

/// Answer-set paths, shared by the server that builds a set and the client that writes it.
inline constexpr std::string_view kSysprepInfPath = "sysprep.inf";
inline constexpr std::string_view kCmdlinesPath = "cmdlines.txt";
inline constexpr std::string_view kUnattendPath = "unattend.xml";
inline constexpr std::string_view kNoCloudDir = "nocloud/";
inline constexpr std::string_view kDriversDir = "drivers/";

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_ANSWER_SET_H_
