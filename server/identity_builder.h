// Builds the identity a node receives over its control connection: its
// rendered answer files plus the files of its driver catalog (under drivers/),
// from which the client picks what matches the hardware it finds.
#ifndef FLEETCAST_SERVER_IDENTITY_BUILDER_H_
#define FLEETCAST_SERVER_IDENTITY_BUILDER_H_

#include <string>

#include "core/control_message.h"
#include "core/status.h"
#include "server/inventory_loader.h"

namespace fleetcast {

Result<control::Identity> BuildIdentity(const LoadedInventory& loaded, const NodeSpec& node,
                                        const std::string& callback_url);

/// Total bytes of an identity's files, for reports.
uint64_t IdentityBytes(const control::Identity& identity);

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_IDENTITY_BUILDER_H_
