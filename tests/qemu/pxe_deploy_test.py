#!/usr/bin/env python3
"""The whole path on machines that really boot: three qemu machines on a
namespace LAN PXE-boot fleetcast's installer (dnsmasq DHCP, iPXE, kernel and
initramfs from the server's HTTP port), write the test OS image to their
empty disks, get their identities, and, released one cluster group in boot
order, reboot into the new system (the server now tells iPXE "local disk"),
which reads its NoCloud seed and calls back.

Asserts: every node's verified digest is the image's; each disk holds its own
identity; node 1 called back before nodes 2 and 3 were released; 2 and 3 then
came up; the report has the whole timeline. Node 2 has a second disk and
nodes.toml names the one to write: the other stays empty. Budget: 600 s (about 3 minutes
under TCG on 2 cores). Everything made is removed, also on failure.

With --dhcp proxy, a separate namespace plays the lab's own DHCP server
(addresses only) and fleetcast's dnsmasq runs dnsmasq-proxy.conf beside it.
With --firmware uefi the machines run OVMF: iPXE's EFI build fetches the
script, the kernel (EFI stub) and the initramfs, and the installer writes and
verifies the image; the test ends there. (OVMF lists no boot entry for a
disk that was blank at power-on, so iPXE's "exit" to the local disk ends in
its setup menu: on such firmware, add a disk entry after network boot.)

Usage: pxe_deploy_test.py --server BIN --client-initramfs BIN --source DIR [--dhcp full|proxy]
         [--firmware bios|uefi]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu_lab  # noqa: E402

BUDGET_S = 600
ADDRESS = "10.77.0.1"
NODES = [("lab01", "52:54:00:fc:00:01", "10.77.0.11"),
         ("lab02", "52:54:00:fc:00:02", "10.77.0.12"),
         ("lab03", "52:54:00:fc:00:03", "10.77.0.13")]
TWO_DISKS = "lab02"  # has a second, empty disk; nodes.toml names the one to write


def inventory():
    text = """[defaults]
flavour = "cloud-init"
prefix = 24
gateway = "10.77.0.1"
group = "lab"

[groups.lab]
up = "callback"
timeout = 300
wave = 2
"""
    for order, (host, mac, ip) in enumerate(NODES, 1):
        text += f"""
[[nodes]]
hostname = "{host}"
mac = "{mac}"
ip = "{ip}"
boot_order = {order}
"""
        if host == TWO_DISKS:
            text += 'disk = "vda"\n'  # the installer would not guess between two
    return text


def ext_file(disk, path, work):
    """A file's text from the disk's ext4 root (partition 2), read unmounted."""
    table = json.loads(qemu_lab.run("sfdisk", "--json", disk).stdout)["partitiontable"]
    part = table["partitions"][1]
    piece = os.path.join(work, "root.part")
    qemu_lab.run("dd", f"if={disk}", f"of={piece}", "bs=512", f"skip={part['start']}",
                 f"count={part['size']}", "status=none")
    return qemu_lab.run("/usr/sbin/debugfs", "-R", f"cat {path}", piece).stdout


def build_inputs(args, work):
    src = args.source
    os_img = os.path.join(work, "os.img")
    qemu_lab.run(os.path.join(src, "tests/qemu/make-test-os.sh"), os_img)
    # The image is signed and the boot media trust only its key.
    key = os.path.join(work, "lab")
    qemu_lab.run(args.server, "keygen", "--out", key)
    qemu_lab.run(args.server, "pack", os_img, os.path.join(work, "os.fcimg"), "--sign",
                 key + ".key")
    media = os.path.join(work, "media")
    qemu_lab.run(os.path.join(src, "bootmedia/build.sh"), "--out", media, "--server", ADDRESS,
                 "--interface", "eth0", "--client", args.client_initramfs,
                 "--range", "10.77.0.100,10.77.0.199", "--trust", key + ".pub")
    with open(os.path.join(work, "nodes.toml"), "w") as f:
        f.write(inventory())
    info = json.loads(qemu_lab.run(args.server, "info", "--json",
                                   os.path.join(work, "os.fcimg")).stdout)
    return media, info


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def deploy(args, work, lab, media, accel):
    deadline = time.monotonic() + BUDGET_S
    ra = ["--enable-ra", "--dhcp-range=fd88::,ra-only"]
    conf = "dnsmasq-full.conf"
    if args.dhcp == "proxy":
        # The lab's own DHCP server, which knows nothing of network boot.
        lab.add_host(lab.lan.replace("-lan", "-dhcp"), "10.77.0.2")
        lab_dhcp = lab.start("lab-dhcp", ["dnsmasq", "-k", "--port=0", "--interface=eth0",
                                          "--bind-interfaces", "--no-ping",
                                          "--dhcp-range=10.77.0.100,10.77.0.199,1h",
                                          "--dhcp-leasefile=" + os.path.join(work, "lab.leases"),
                                          "--pid-file=" + os.path.join(work, "lab.pid"),
                                          "--conf-file=/dev/null", "--log-facility=-"],
                             os.path.join(work, "lab-dhcp.log"),
                             ns=lab.lan.replace("-lan", "-dhcp"))
        lab_dhcp.wait_for(r"started, version", deadline)
        conf, ra = "dnsmasq-proxy.conf", []
        qemu_lab.run("ip", "-6", "addr", "del", "fd88::1/64", "dev", "eth0", ns=lab.srv)
    dnsmasq = lab.start("dnsmasq", ["dnsmasq", "-k", "--conf-file=" + os.path.join(media, conf),
                                    "--dhcp-leasefile=" + os.path.join(work, "leases"),
                                    "--pid-file=" + os.path.join(work, "dnsmasq.pid"),
                                    "--log-facility=-"] + ra,
                        os.path.join(work, "dnsmasq.log"), ns=lab.srv)
    dnsmasq.wait_for(r"started, version", deadline)
    server = lab.start("server", [args.server, "serve", os.path.join(work, "os.fcimg"),
                                  "--interface", "eth0", "--nodes",
                                  os.path.join(work, "nodes.toml"), "--http", ADDRESS + ":8080",
                                  "--boot-dir", media, "--on-release", "reboot", "--fresh-state",
                                  "--rate", "200m", "--max-wait", "300",
                                  # Clients pin this key (the media trust lab.pub), and a
                                  # node's identity goes only with its boot script's token.
                                  "--key", os.path.join(work, "lab.key"), "--tokens"],
                       os.path.join(work, "server.log"), ns=lab.srv)
    server.wait_for(r"network boot: http://", deadline)
    vms = []
    for host, mac, _ in NODES:
        disks = [os.path.join(work, host + ".img")]
        if host == TWO_DISKS:
            disks.append(os.path.join(work, host + "-spare.img"))
        for disk in disks:
            with open(disk, "wb") as f:
                f.truncate(128 << 20)
        vms.append((host, disks[0], lab.machine(host, mac, disks,
                                                os.path.join(work, host + ".log"), accel,
                                                args.firmware, work)))
    for host, _, vm in vms:
        server.wait_for(r"network boot: " + host + r" \(.*\): installer", deadline)
        vm.wait_for(r"fleetcast: server " + ADDRESS + ":7010; writing /dev/vda", deadline)
        vm.wait_for(r"image signed by ed25519:", deadline)
        print(f"{host}: PXE-booted the installer", flush=True)
    if args.dhcp == "proxy":
        leases = open(os.path.join(work, "lab.leases")).read()
        check(all(mac in leases for _, mac, _ in NODES), "the lab's DHCP gave no lease:\n" + leases)
    if args.firmware == "uefi":
        return server, vms
    for host, _, vm in vms:
        vm.wait_for(r"fleetcast-test-os: up$", deadline)
        print(f"{host}: up in its new system", flush=True)
    server.wait_for(r"^report: ", deadline)
    check(server.proc.wait(timeout=max(1, deadline - time.monotonic())) == 0,
          "serve did not end well:\n" + server.tail())
    return server, vms


def check_installed(vms, info):
    """UEFI: every machine's installer wrote and verified the image."""
    digest = info["image_digest"].split(":")[-1]
    for host, _, vm in vms:
        _, _, line = vm.wait_for(r"disk verified, xxh3-128:", time.monotonic() + BUDGET_S)
        check("xxh3-128:" + digest + ";" in line,
              f"{host}: {line} is not the image's digest {digest}")
        print(f"{host}: image written and verified", flush=True)


def check_outcome(work, server, vms, info):
    spare = os.path.join(work, TWO_DISKS + "-spare.img")
    check(not any(open(spare, "rb").read()), f"{spare}: written, but nodes.toml named vda")
    with open(os.path.join(work, "nodes.report.json")) as f:
        report = json.load(f)
    nodes = {n["hostname"]: n for n in report["nodes"]}
    for host, disk, vm in vms:
        n = nodes[host]
        check(n["state"] == "up", f"{host}: state {n['state']}, not up")
        check(n["digest"].split(":")[-1] == info["image_digest"].split(":")[-1],
              f"{host}: digest {n['digest']} is not the image's {info['image_digest']}")
        meta = ext_file(disk, "/var/lib/cloud/seed/nocloud/meta-data", work)
        check(f'local-hostname: "{host}"' in meta, f"{host}: its disk holds\n{meta}")
        vm.wait_for(r"fleetcast-test-os: hostname " + host, time.monotonic() + 1)
    first, second, third = (nodes[h] for h, _, _ in NODES)
    check(first["up_at"] < second["released_at"] and first["up_at"] < third["released_at"],
          "lab02 or lab03 was released before lab01 was up: " + json.dumps(report["nodes"]))
    # The server sent the released node back to its disk, not to the installer.
    for host, mac, _ in NODES:
        server.wait_for(r"network boot: " + mac + r": local disk \(" + host +
                        " is deployed and released", time.monotonic() + 1)
    print("timeline (seconds from power-on):")
    print("  node   installer  verified  released        up")
    for host, mac, _ in NODES:
        n = nodes[host]
        vm = next(v for h, _, v in vms if h == host)
        start = vm.started
        _, installer, _ = server.wait_for(r"network boot: " + host + r" \(.*\): installer",
                                          time.monotonic() + 1)
        _, verified, _ = vm.wait_for(r"disk verified", time.monotonic() + 1)
        print(f"  {host}  {installer - start:9.1f}  {verified - start:8.1f}  "
              f"{n['released_at'] - start:8.1f}  {n['up_at'] - start:8.1f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--client-initramfs", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--dhcp", choices=["full", "proxy"], default="full",
                        help="fleetcast's dnsmasq hands out addresses, or only boot information "
                        "beside the lab's own DHCP server")
    parser.add_argument("--firmware", choices=["bios", "uefi"], default="bios",
                        help="SeaBIOS, or OVMF (UEFI: iPXE's EFI build, the kernel's EFI stub, "
                        "and grub on the deployed disk)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    qemu_lab.stop_on_sigterm()
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="fc-qemu-")
    os.chmod(work, 0o755)  # dnsmasq's TFTP runs as nobody
    try:
        media, info = build_inputs(args, work)
        accel = qemu_lab.accelerator(os.path.join(media, "vmlinuz"))
        print(f"accelerator: {accel}", flush=True)
        with qemu_lab.Lab("fcq", ADDRESS) as lab:
            server, vms = deploy(args, work, lab, media, accel)
            if args.firmware == "uefi":
                check_installed(vms, info)
            else:
                check_outcome(work, server, vms, info)
        print(f"PASS in {time.monotonic() - started:.0f} s")
        return 0
    except (AssertionError, TimeoutError, subprocess.CalledProcessError) as e:
        detail = getattr(e, "stderr", "") or ""
        print(f"FAIL: {e}\n{detail}\nlogs in {work}", file=sys.stderr)
        args.keep = True
        return 1
    finally:
        if not args.keep:
            subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    sys.exit(main())
