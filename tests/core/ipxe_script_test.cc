#include "core/ipxe_script.h"

#include <gtest/gtest.h>

namespace fleetcast {
namespace {

TEST(IpxeScriptTest, ChainNamesTheNodeByMac) {
  EXPECT_EQ(IpxeChainScript("http://10.0.0.1:8080"),
            "#!ipxe\nchain http://10.0.0.1:8080/boot/${netX/mac}\n");
}

TEST(IpxeScriptTest, InstallBootsTheKernelWithServerDiskAndBootif) {
  InstallerBoot boot{.http_base = "http://10.0.0.1:8080",
                     .server = "10.0.0.1:7010",
                     .node = "web03",
                     .disk = "nvme0n1",
                     .extra_args = "console=ttyS0",
                     .token = "00112233445566778899aabbccddeeff"};
  EXPECT_EQ(IpxeInstallScript(boot),
            "#!ipxe\n"
            "echo fleetcast: installing web03 from 10.0.0.1:7010\n"
            "kernel http://10.0.0.1:8080/boot/files/vmlinuz initrd=initrd.img "
            "fleetcast.server=10.0.0.1:7010 BOOTIF=01-${netX/mac:hexhyp} fleetcast.disk=nvme0n1 "
            "fleetcast.token=00112233445566778899aabbccddeeff console=ttyS0\n"
            "initrd http://10.0.0.1:8080/boot/files/initrd.img\n"
            "boot\n");
}

TEST(IpxeScriptTest, NoDiskNoExtraArguments) {
  InstallerBoot boot{.http_base = "http://h:1",
                     .server = "h:2",
                     .node = "n",
                     .disk = "",
                     .extra_args = "",
                     .token = ""};
  const std::string script = IpxeInstallScript(boot);
  EXPECT_EQ(script.find("fleetcast.disk"), std::string::npos);
  EXPECT_EQ(script.find("fleetcast.token"), std::string::npos);
  EXPECT_NE(script.find("BOOTIF=01-${netX/mac:hexhyp}\n"), std::string::npos);
}

// Text from the inventory or the command line cannot add commands or expand
// iPXE settings.
TEST(IpxeScriptTest, ForeignTextCannotInjectCommandsOrSettings) {
  InstallerBoot boot{.http_base = "http://h:1",
                     .server = "h:2",
                     .node = "n\nshell ${x}",
                     .disk = "",
                     .extra_args = "quiet\nchain http://evil/",
                     .token = ""};
  const std::string script = IpxeInstallScript(boot);
  EXPECT_NE(script.find("installing nshell {x} from"), std::string::npos);
  EXPECT_NE(script.find("quietchain http://evil/\n"), std::string::npos);
  EXPECT_EQ(IpxeLocalScript("a\nexit ${b}"),
            "#!ipxe\necho fleetcast: aexit {b}; booting from the local disk\nexit\n");
}

TEST(IpxeScriptTest, LocalLeavesNetworkBoot) {
  EXPECT_EQ(IpxeLocalScript("web03 is deployed"),
            "#!ipxe\necho fleetcast: web03 is deployed; booting from the local disk\nexit\n");
}

}  // namespace
}  // namespace fleetcast
