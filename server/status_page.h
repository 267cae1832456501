// The status page served at "/": one self-contained HTML document (CSS and
// JS inline, no external assets) that shows every node, group and total live
// from /api/events and posts the operator's actions with the token it keeps in
// sessionStorage.
//
// Stable hooks for browser tests: #start-now, #token, #save-token, #error,
// #connection, tr[data-node="<node>"] (data-state; cells .hostname .node
// .group .state .progress .mbps .loss .elapsed .reason; button .release),
// tr[data-group="<name>"] (data-held; cells .boot-order .name .waiting-for
// .held; button .hold), #totals div[data-total="<key>"], #netcheck (shown once
// the snapshot carries a netcheck: img #netcheck-plot, pre #netcheck-table),
// and body[data-updates] counting the snapshots rendered.
#ifndef FLEETCAST_SERVER_STATUS_PAGE_H_
#define FLEETCAST_SERVER_STATUS_PAGE_H_

#include <string_view>

namespace fleetcast {

/// The whole page, UTF-8.
extern const std::string_view kStatusPage;

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_STATUS_PAGE_H_
