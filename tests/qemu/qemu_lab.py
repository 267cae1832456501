"""A lab in network namespaces for qemu tests: a bridge, a server namespace
on it, qemu machines with tap ports, their serial consoles read as they come,
and everything removed again, also on failure.

Waits are on events (a console line, a process exit) with a deadline; no
fixed sleeps.
"""
import ctypes
import os
import re
import signal
import subprocess
import threading
import time


def _die_with_parent():
    """In the child: killed when the test dies, even by SIGKILL (a ctest timeout)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def stop_on_sigterm():
    """SIGTERM (and Ctrl-C) unwind the test, so its cleanup runs."""
    def handler(signum, _frame):
        # A second signal must not cut the cleanup short.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise SystemExit(f"stopped by signal {signum}")
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def run(*args, ns=None, check=True, **kw):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + [str(a) for a in args]
    return subprocess.run(cmd, check=check, capture_output=True, text=True, **kw)


def accelerator(kernel):
    """"kvm" only when a kernel really boots under it within seconds (on some
    hosts /dev/kvm opens but -accel kvm hangs); else "tcg"."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "tcg"
    try:
        p = subprocess.run(["qemu-system-x86_64", "-accel", "kvm", "-m", "256", "-display", "none",
                            "-monitor", "none", "-serial", "stdio", "-no-reboot", "-kernel", kernel,
                            "-append", "console=ttyS0 panic=-1 root=/dev/nowhere"],
                           capture_output=True, timeout=15, stdin=subprocess.DEVNULL)
        return "kvm" if b"Kernel panic" in p.stdout else "tcg"
    except subprocess.TimeoutExpired:
        return "tcg"


class Console:
    """A process whose output is read line by line on a thread; wait_for
    returns as soon as a line matches."""

    def __init__(self, name, cmd, log_path, **kw):
        self.name = name
        self.lines = []
        self.cond = threading.Condition()
        self.log = open(log_path, "w")
        self.started = time.time()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True,
                                     preexec_fn=_die_with_parent, **kw)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            line = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", line)
            self.log.write(line + "\n")
            self.log.flush()
            with self.cond:
                self.lines.append((time.time(), line))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, pattern, deadline, start=0):
        """(index, time, line) of the first line from `start` matching; raises
        TimeoutError at the deadline (time.monotonic) or when output ends."""
        rx = re.compile(pattern)
        with self.cond:
            while True:
                for i in range(start, len(self.lines)):
                    if rx.search(self.lines[i][1]):
                        return i, self.lines[i][0], self.lines[i][1]
                start = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.thread.is_alive()):
                    raise TimeoutError(f"{self.name}: no line matching {pattern!r}; last lines:\n"
                                       + self.tail())
                self.cond.wait(min(left, 1.0))

    def tail(self, n=25):
        with self.cond:
            return "\n".join("    " + l for _, l in self.lines[-n:])

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.thread.join(timeout=5)
        self.log.close()


class Lab:
    """Namespaces NAME-lan (bridge br0 with the machines' taps) and NAME-srv
    (eth0 = ADDRESS/24 and fd88::1/64 on the bridge)."""

    def __init__(self, name, address):
        self.lan = name + "-lan"
        self.srv = name + "-srv"
        self.namespaces = [self.lan, self.srv, name + "-dhcp"]  # all this lab may make
        self.address = address
        self.consoles = []
        self.taps = 0
        self.hosts = 0

    def __enter__(self):
        self.remove_namespaces()
        run("ip", "netns", "add", self.lan)
        lan = lambda *a: run(*a, ns=self.lan)
        lan("ip", "link", "add", "br0", "type", "bridge", "mcast_snooping", "1",
            "mcast_querier", "1")
        lan("ip", "link", "set", "lo", "up")
        lan("ip", "link", "set", "br0", "up")
        self.add_host(self.srv, self.address)
        # iPXE waits for IPv6 router adverts unless some arrive (dnsmasq ra-only).
        run("ip", "-6", "addr", "add", "fd88::1/64", "dev", "eth0", "nodad", ns=self.srv)
        run("ip", "route", "add", "239.0.0.0/8", "dev", "eth0", ns=self.srv)
        return self

    def __exit__(self, *exc):
        for c in reversed(self.consoles):
            c.stop()
        self.remove_namespaces()

    def add_host(self, ns, address):
        """A new namespace `ns` on the bridge: eth0 = address/24."""
        if ns not in self.namespaces:
            self.namespaces.append(ns)
        run("ip", "netns", "add", ns)
        self.hosts += 1
        port = f"p{self.hosts}"
        run("ip", "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns,
            ns=self.lan)
        run("ip", "link", "set", port, "master", "br0", "up", ns=self.lan)
        run("ip", "link", "set", "lo", "up", ns=ns)
        run("ip", "addr", "add", address + "/24", "dev", "eth0", ns=ns)
        run("ip", "link", "set", "eth0", "up", ns=ns)

    def remove_namespaces(self):
        for ns in self.namespaces:
            pids = run("ip", "netns", "pids", ns, check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            run("ip", "netns", "del", ns, check=False)

    def start(self, name, cmd, log_path, ns=None):
        full = (["ip", "netns", "exec", ns] if ns else []) + [str(a) for a in cmd]
        c = Console(name, full, log_path)
        self.consoles.append(c)
        return c

    def tap(self):
        """A new tap port on the bridge, for one machine."""
        name = f"tap{self.taps}"
        self.taps += 1
        run("ip", "tuntap", "add", name, "mode", "tap", ns=self.lan)
        run("ip", "link", "set", name, "master", "br0", "up", ns=self.lan)
        return name

    def machine(self, name, mac, disks, log_path, accel, firmware="bios", work=None):
        """A qemu machine on a new tap: network boot first, then its first
        disk (bootindex, which SeaBIOS and OVMF both follow)."""
        cmd = ["qemu-system-x86_64", "-accel", accel, "-m", "1024", "-smp", "1",
               "-display", "none", "-monitor", "none", "-serial", "stdio",
               "-netdev", f"tap,id=n0,ifname={self.tap()},script=no,downscript=no",
               "-device", f"virtio-net-pci,netdev=n0,mac={mac},bootindex=1"]
        if firmware == "uefi":
            variables = os.path.join(work, name + "-vars.fd")
            with open("/usr/share/OVMF/OVMF_VARS.fd", "rb") as src, open(variables, "wb") as dst:
                dst.write(src.read())
            cmd += ["-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd",
                    "-drive", f"if=pflash,format=raw,file={variables}"]
        for i, d in enumerate(disks):
            cmd += ["-drive", f"file={d},format=raw,if=none,id=d{i}",
                    "-device", f"virtio-blk-pci,drive=d{i}" + (",bootindex=2" if i == 0 else "")]
        return self.start(name, cmd, log_path, ns=self.lan)
