// The answer file of Vista-and-later Windows (Flavour::kUnattendXml):
// C:\Windows\Panther\unattend.xml, read when the sysprepped clone first
// boots. It names the machine, puts its static address on the NIC with its
// MAC, joins the domain or workgroup, skips OOBE, and runs the first-logon
// commands, the last of which may tell the server the node is up.
//
// Pure: values in, UTF-8 text out (LF line endings, 2-space indentation).
#ifndef FLEETCAST_CORE_UNATTEND_XML_H_
#define FLEETCAST_CORE_UNATTEND_XML_H_

#include <string>
#include <string_view>

#include "core/inventory.h"

namespace fleetcast {

/// unattend.xml for `node`. `group` may be nullptr. First-logon commands are
/// the group's post-clone commands, then the node's; when the node proves
/// itself up by callback (no group, or the group's `up` is "callback") and
/// `callback_url` is not empty, a last command POSTs to `callback_url`.
std::string RenderUnattendXml(const NodeSpec& node, const GroupSpec* group,
                              const NodeSecrets& secrets, std::string_view callback_url);

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_UNATTEND_XML_H_
