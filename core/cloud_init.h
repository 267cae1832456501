// The NoCloud seed of a Linux node (Flavour::kCloudInit): the three files the
// client writes to /var/lib/cloud/seed/nocloud/ on the cloned root, so that
// cloud-init, at first boot, takes the node's name and static address, sets
// the root password, runs the first-boot commands and reports the node up.
//
// Pure: values in, YAML text out. Every scalar that comes from the inventory
// is written double-quoted, so no name or command can change the structure.
#ifndef FLEETCAST_CORE_CLOUD_INIT_H_
#define FLEETCAST_CORE_CLOUD_INIT_H_

#include <string>
#include <string_view>

#include "core/inventory.h"

namespace fleetcast {

/// The contents of the seed's files, named as cloud-init names them.
struct NoCloudSeed {
  std::string meta_data;       // meta-data: instance-id and local-hostname
  std::string user_data;       // user-data: #cloud-config
  std::string network_config;  // network-config: version 2, matched by MAC
};

/// The seed for `node`. `group` may be nullptr. runcmd holds the group's
/// post-clone commands, then the node's; when the node proves itself up by
/// callback (no group, or the group's `up` is "callback") and `callback_url`
/// is not empty, a last command POSTs to it with curl.
///
/// The default route is written `to: default`, which cloud-init reads from
/// 22.4 on (older releases want `to: 0.0.0.0/0`); `gateway4` is deprecated.
NoCloudSeed RenderNoCloud(const NodeSpec& node, const GroupSpec* group, const NodeSecrets& secrets,
                          std::string_view callback_url);

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_CLOUD_INIT_H_
