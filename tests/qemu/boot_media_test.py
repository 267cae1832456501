#!/usr/bin/env python3
"""The boot media on machines that boot, under qemu (KVM when it works, TCG
otherwise), with qemu's user network: its DHCP answers, and 10.0.2.2 is this
host's loopback, where a real fleetcast-server serves a small image.

  usb       the USB image, on BIOS (SeaBIOS) and UEFI (OVMF) firmware, boots
            the installer and the client starts: it reaches the server and
            says what it will write.
  failures  the installer's bad input, each one clear console line, then a
            shell: no disk, two candidate disks, no DHCP answer, server
            unreachable, no server's announce heard, disk smaller than the
            image.

Budget: 300 s each (about a minute under TCG). Everything made is removed.
Usage: boot_media_test.py usb|failures --server BIN --client-initramfs BIN --source DIR
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu_lab  # noqa: E402

BUDGET_S = 300
SHELL = r"fleetcast: dropping to a shell"


class Run:
    """The work folder, the server on loopback, and the machines."""

    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix="fc-boot-")
        self.consoles = []
        self.port = 17000 + os.getpid() % 2000  # control port on loopback
        self.deadline = time.monotonic() + BUDGET_S

    def build(self):
        src, work = self.args.source, self.work
        self.kernel = sorted(p for p in os.listdir("/boot") if p.startswith("vmlinuz-"))[-1]
        self.kernel = os.path.join("/boot", self.kernel)
        self.initrd = os.path.join(work, "initrd.img")
        qemu_lab.run(os.path.join(src, "bootmedia/make-initramfs.sh"), "--client",
                     self.args.client_initramfs, "--out", self.initrd)
        disk = os.path.join(work, "image.raw")
        qemu_lab.run(os.path.join(src, "scripts/make-disk-image.sh"), disk, "32")
        qemu_lab.run(self.args.server, "pack", disk, os.path.join(work, "image.fcimg"))
        self.accel = qemu_lab.accelerator(self.kernel)
        print(f"accelerator: {self.accel}", flush=True)

    def serve(self):
        cmd = [self.args.server, "serve", os.path.join(self.work, "image.fcimg"), "--interface",
               "lo", "--port", str(self.port), "--http", "127.0.0.1:0", "--min-clients", "99",
               "--max-wait", "600"]
        c = qemu_lab.Console("server", cmd, os.path.join(self.work, "server.log"))
        self.consoles.append(c)
        c.wait_for(r"waiting for", self.deadline)

    def disk(self, name, mib):
        path = os.path.join(self.work, name)
        with open(path, "wb") as f:
            f.truncate(mib << 20)
        return path

    def machine(self, name, args):
        cmd = ["qemu-system-x86_64", "-accel", self.accel, "-m", "768", "-display", "none",
               "-monitor", "none", "-serial", "stdio", "-no-reboot"] + args
        c = qemu_lab.Console(name, cmd, os.path.join(self.work, name + ".log"))
        self.consoles.append(c)
        return c

    def direct(self, name, append, args):
        """A machine booting the installer directly (-kernel, -initrd)."""
        return self.machine(name, ["-kernel", self.kernel, "-initrd", self.initrd, "-append",
                                   "console=ttyS0,115200n8 fleetcast.dhcp_wait=6 " + append] + args)

    def close(self, keep):
        for c in self.consoles:
            c.stop()
        if not keep:
            shutil.rmtree(self.work, ignore_errors=True)


def user_net(n):
    """qemu's user network; each machine its own MAC, so its own node."""
    return ["-nic", f"user,model=virtio-net-pci,mac=52:54:00:fd:00:{n:02x}"]


def drive(path):
    return ["-drive", f"file={path},format=raw,if=virtio"]


def test_failures(run):
    server = f"fleetcast.server=10.0.2.2:{run.port}"
    cases = {
        "no-disk": (server, user_net(1), r"fleetcast: error: no disk to write: no non-removable"),
        "two-disks": (server,
                      user_net(2) + drive(run.disk("a.img", 64)) + drive(run.disk("b.img", 64)),
                      r"fleetcast: error: 2 candidate disks: vda \(64 MiB\) vdb \(64 MiB\); not "
                      r"guessing: name one with fleetcast.disk="),
        "no-dhcp": (server, ["-netdev", "hubport,id=n0,hubid=9", "-device",
                             "virtio-net-pci,netdev=n0"] + drive(run.disk("c.img", 64)),
                    r"fleetcast: error: no DHCP answer on eth0 within 6 s; check the cable"),
        "unreachable": (f"fleetcast.server=10.0.2.2:{run.port + 1}",
                        user_net(4) + drive(run.disk("d.img", 64)),
                        r"fleetcast-client: error: --server 10.0.2.2:\d+: cannot connect .*check "
                        r"the address and that fleetcast-server serve runs there"),
        "no-announce": ("fleetcast.discover_wait=3", user_net(6) + drive(run.disk("f.img", 64)),
                        # The IPv6 default too once the NIC has its link-local
                        # address, which may come after the client starts.
                        r"fleetcast-client: error: no fleetcast server announced itself on "
                        r"239.77.0.254:7009( and \[ff15::fc:7009\]:7009)? within 3 s; "
                        r"is serve running on this LAN"),
        "small-disk": (server, user_net(5) + drive(run.disk("e.img", 8)),
                       r"fleetcast-client: error: .*8388608 bytes, the image needs 33554432; "
                       r"use a larger disk"),
    }
    machines = {name: (run.direct(name, append, args), want)
                for name, (append, args, want) in cases.items()}
    for name, (vm, want) in machines.items():
        i, _, line = vm.wait_for(want, run.deadline)
        vm.wait_for(SHELL, run.deadline, start=i)
        print(f"{name}: {line.strip()}", flush=True)


def test_usb(run):
    usb = os.path.join(run.work, "usb.img")
    qemu_lab.run(os.path.join(run.args.source, "bootmedia/make-usb.sh"), "--kernel", run.kernel,
                 "--initrd", run.initrd, "--out", usb, "--cmdline",
                 f"console=ttyS0,115200n8 fleetcast.server=10.0.2.2:{run.port}")
    vars_fd = os.path.join(run.work, "OVMF_VARS.fd")
    shutil.copy("/usr/share/OVMF/OVMF_VARS.fd", vars_fd)
    firmware = {
        "bios": [],
        "uefi": ["-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd",
                 "-drive", f"if=pflash,format=raw,file={vars_fd}"],
    }
    for n, (kind, fw) in enumerate(firmware.items()):
        vm = run.machine("usb-" + kind, fw + [
            "-drive", f"file={usb},format=raw,if=none,id=stick,snapshot=on", "-device", "usb-ehci",
            "-device", "usb-storage,drive=stick,bootindex=0"] + user_net(0x10 + n) +
            drive(run.disk(kind + ".img", 64)))
        _, _, line = vm.wait_for(r"node .*: \d+ of \d+ chunks to receive into /dev/vda",
                                 run.deadline)
        print(f"usb {kind}: {line.strip()}", flush=True)
        vm.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("case", choices=["usb", "failures"])
    parser.add_argument("--server", required=True)
    parser.add_argument("--client-initramfs", required=True)
    parser.add_argument("--source", required=True)
    args = parser.parse_args()
    qemu_lab.stop_on_sigterm()
    run = Run(args)
    keep = False
    try:
        run.build()
        run.serve()
        {"usb": test_usb, "failures": test_failures}[args.case](run)
        print("PASS")
        return 0
    except (AssertionError, TimeoutError, subprocess.CalledProcessError) as e:
        print(f"FAIL: {e}\n{getattr(e, 'stderr', '') or ''}logs in {run.work}", file=sys.stderr)
        keep = True
        return 1
    finally:
        run.close(keep)


if __name__ == "__main__":
    sys.exit(main())
