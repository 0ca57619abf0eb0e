"""Hosts of their own for a chaos run: one Linux network namespace per node, on a bridge.

Each node gets its own namespace, veth and address (10.77.N.10+i) and listens there on the same
ports every host uses, so nothing can lean on 127.0.0.1. The harness, its link proxies and the L1
stay in the root namespace on the bridge's address (10.77.N.1); each source host also gets an
alias there (10.77.N.100+i) that its proxies dial out from, so a node sees each peer arrive from
a distinct address, as on a real network. Set up and torn down with Debian's iproute2 (root);
``unavailable`` says why not when it cannot be.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from dataclasses import dataclass

RPC_PORT = 8545
P2P_PORT = 30303
"""The same ports on every host: they are different machines."""


class NetnsError(RuntimeError):
    """An ``ip`` command failed while the hosts were set up; the message names it."""


def _ip(*arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["ip", *arguments], capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise NetnsError(f"ip {' '.join(arguments)}: {result.stderr.strip()}")
    return result


def unavailable() -> str | None:
    """Why namespaced hosts cannot be made here (not root, no iproute2, no netns support);
    None when they can (checked by making and removing a namespace)."""
    if shutil.which("ip") is None:
        return "no `ip` command (install iproute2)"
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"ordo-probe-{os.getpid()}"
    made = _ip("netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"`ip netns add` failed: {made.stderr.strip()}"
    _ip("netns", "del", probe, check=False)
    return None


@dataclass(frozen=True)
class Host:
    index: int
    namespace: str
    address: str
    source_alias: str
    """The root-namespace address this host's outgoing proxy connections come from."""
    veth: str


class NetnsHosts:
    def __init__(self, count: int, tag: int | None = None) -> None:
        tag = os.getpid() % 200 + 20 if tag is None else tag
        self.subnet = f"10.77.{tag}"
        self.gateway = f"{self.subnet}.1"
        self.bridge = f"obr{tag}"
        self.hosts = [Host(index, f"ordo{tag}-h{index}", f"{self.subnet}.{10 + index}",
                           f"{self.subnet}.{100 + index}", f"ov{tag}h{index}")
                      for index in range(count)]
        self._made: list[str] = []

    def set_up(self) -> None:
        """Bridge, namespaces, veths and addresses; on any failure what was made is removed."""
        try:
            _ip("link", "add", self.bridge, "type", "bridge")
            self._made.append("bridge")
            _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
            for host in self.hosts:
                _ip("addr", "add", f"{host.source_alias}/24", "dev", self.bridge)
            _ip("link", "set", self.bridge, "up")
            for host in self.hosts:
                _ip("netns", "add", host.namespace)
                self._made.append(host.namespace)
                _ip("link", "add", host.veth, "type", "veth", "peer", "name", "eth0",
                    "netns", host.namespace)
                _ip("link", "set", host.veth, "master", self.bridge)
                _ip("link", "set", host.veth, "up")
                _ip("-n", host.namespace, "addr", "add", f"{host.address}/24", "dev", "eth0")
                _ip("-n", host.namespace, "link", "set", "eth0", "up")
                _ip("-n", host.namespace, "link", "set", "lo", "up")
        except NetnsError:
            self.tear_down()
            raise

    def tear_down(self) -> None:
        """Remove every namespace (its veth goes with it) and the bridge."""
        for host in self.hosts:
            if host.namespace in self._made:
                _ip("netns", "del", host.namespace, check=False)
        if "bridge" in self._made:
            _ip("link", "del", self.bridge, check=False)
        self._made.clear()

    def prefix(self, index: int) -> list[str]:
        """What runs a command on host ``index``."""
        return ["ip", "netns", "exec", self.hosts[index].namespace]

    def cut_off(self, index: int) -> None:
        """Take host ``index``'s link down: nothing reaches it, it reaches nothing (L1 neither)."""
        _ip("link", "set", self.hosts[index].veth, "down")

    def reconnect(self, index: int) -> None:
        with contextlib.suppress(NetnsError):
            _ip("link", "set", self.hosts[index].veth, "up")
