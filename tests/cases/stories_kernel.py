"""Published stories of the kernel's non-paged pool running short, rebuilt as case bundles.

As in stories.py: the evidence is what the help desk would have collected on the story's
server, in the formats Windows writes; `expected` is written from the story's resolution
(`origin`) before the tool ran on the bundle, and `at_most` caps the causes that resolution
rules out. Names, addresses and counts are made up around the story's facts.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from generate import IIS_FIELDS, Bundle, at, write

RPC_AGENT = "MSRPC"


def rpc_over_http_log(b: Bundle, start: datetime, minutes: int, users: int) -> None:
    """IIS 6 W3C lines of Outlook's RPC over HTTPS channels: one long RPC_IN_DATA and RPC_OUT_DATA pair per session."""
    lines = ["#Software: Microsoft Internet Information Services 6.0", "#Version: 1.0",
             f"#Date: {start:%Y-%m-%d %H:%M:%S}", f"#Fields: {IIS_FIELDS}"]
    rows = []
    for _ in range(users):
        t = start + timedelta(seconds=b.rng.randint(0, minutes * 60))
        user, client = f"CONTOSO\\user{b.rng.randint(1, 2400):04d}", b.client()
        for method in ("RPC_IN_DATA", "RPC_OUT_DATA"):
            rows.append((t, f"{t:%Y-%m-%d %H:%M:%S} {b.ip} {method} /rpc/rpcproxy.dll exch-be01.contoso.com:6001 443 "
                            f"{user} {client} {RPC_AGENT} 200 0 0 {b.rng.randint(300_000, 900_000)}"))
    write(b.out / "W3SVC1" / f"ex{start:%y%m%d}.log", lines + [text for _, text in sorted(rows)])


def https_netstat(b: Bundle, established: int) -> None:
    """`netstat -ano` on a front end that takes Outlook's RPC over HTTPS on 443 (HTTP.sys listens as PID 4)."""
    lines = ["", "Active Connections", "", "  Proto  Local Address          Foreign Address        State           PID",
             "  TCP    0.0.0.0:80             0.0.0.0:0              LISTENING       4",
             "  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       744",
             "  TCP    0.0.0.0:443            0.0.0.0:0              LISTENING       4",
             "  TCP    0.0.0.0:3389           0.0.0.0:0              LISTENING       1180"]
    for _ in range(established):
        remote = f"{b.client()}:{b.rng.randint(1025, 65500)}"
        lines.append(f"  TCP    {b.ip}:443{'':<10}{remote:<23}{'ESTABLISHED':<16}4")
    write(b.out / "netstat-ano.txt", lines)


def exchange_rpc_over_http_pool(b: Bundle) -> None:
    b.os, b.arch, b.ram_mb, b.day = "2003", "x86", 4095, datetime(2006, 6, 14)
    b.idle(at(b, 6), 8, (10, 60))
    b.refusals(at(b, 9, 12, 5), at(b, 10, 26), 1, 8)
    b.write_httperr("1.0")
    b.systeminfo()
    b.boot_ini("/fastdetect /NoExecute=OptOut")
    rpc_over_http_log(b, at(b, 7), 130, 2600)
    https_netstat(b, 7400)
    b.poolmon("poolmon-b.txt", 244_000, [
        ("TCPt", "Nonp", 48_234_496), ("UlHT", "Nonp", 44_040_192), ("AfdB", "Nonp", 40_894_464), ("UlCO", "Nonp", 36_700_160),
        ("Irp ", "Nonp", 23_068_672), ("TcpE", "Nonp", 17_825_792), ("MmCm", "Nonp", 8_388_608), ("Thre", "Nonp", 3_145_728),
        ("File", "Paged", 11_534_336)])
    b.expected("connection-load-npp", "Exchange 2003 front-end server on x86 Windows Server 2003 (no /3GB): Outlook users "
               "on RPC over HTTPS get slow responses or cannot connect at the morning peak, HTTPERR logs counted "
               "Connections_Refused and the kernel's non-paged pool is over 230 MB, spread over the network and HTTP.sys "
               "tags of thousands of open connections.", ["nonpaged-pool-exhausted"], ["nonpaged-pool-exhausted"],
               at_most={"pool-leak-driver": 0.3, "boot-3gb-switch": 0.3}, origin={
                   "url": "https://mskb.pkisolutions.com/kb/924047",
                   "title": "KB 924047: difficulties when you use an Outlook client to connect to an Exchange 2003 "
                            "front-end server (RPC over HTTP), with R. Simpson's TechNet note of June 2006",
                   "resolution": "HTTP.sys holds non-paged pool for every RPC over HTTP connection, and on 32-bit Windows "
                                 "the pool is about 250 MB, so enough connections bring it under the 20 MB floor; support "
                                 "the connections with more 32-bit front ends or a 64-bit RPC proxy, not by hunting a "
                                 "leak."})


STORIES = [
    ("story-rpc-over-http-npp", "EXFE01", exchange_rpc_over_http_pool),
]
