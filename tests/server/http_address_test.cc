// --http ADDR:PORT as serve and ctl read it: IPv4 or bracketed IPv6, port 0
// for any free one, and one line for anything else.
#include <gtest/gtest.h>

#include "server/serve.h"

namespace fleetcast {
namespace {

TEST(HttpAddress, Ipv4AndBracketedIpv6) {
  EXPECT_EQ(*ParseHttpAddress("127.0.0.1:8080"),
            std::make_pair(std::string("127.0.0.1"), uint16_t{8080}));
  EXPECT_EQ(*ParseHttpAddress("[::1]:8080"), std::make_pair(std::string("::1"), uint16_t{8080}));
  EXPECT_EQ(*ParseHttpAddress("[fd7c::1]:0"), std::make_pair(std::string("fd7c::1"), uint16_t{0}));
  EXPECT_EQ(*ParseHttpAddress("0.0.0.0:0"), std::make_pair(std::string("0.0.0.0"), uint16_t{0}));
}

TEST(HttpAddress, AnythingElseIsOneLine) {
  for (const char* bad :
       {"localhost:8080", "127.0.0.1", "::1:8080", "[::1]", "1.2.3.4:65536", "1.2.3.4:x", ""}) {
    Result<std::pair<std::string, uint16_t>> r = ParseHttpAddress(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().message(),
              std::string("--http ") + bad + ": not ADDR:PORT; e.g. 127.0.0.1:8080 or [::1]:8080");
  }
}

}  // namespace
}  // namespace fleetcast
