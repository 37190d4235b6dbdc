"""Rebuild the case library: one evidence bundle per incident, in the formats Windows writes.

Each bundle is a folder a help desk could have collected from one sick server: the
HTTPERR folder (with the #Fields header HTTP.sys writes), IIS W3C logs, systeminfo,
boot.ini or bcdedit, poolmon captures, Event Viewer text copies, typeperf CSV,
applicationHost.config, netsh / netstat / reg query output. `expected.yaml` names the
cause a senior engineer would put first, the other first causes they would accept,
and the causes that belong in the top three. Host names, addresses, tags and times
are made up here; the layouts follow the real samples under tests/fixtures/.

The seed is fixed, so running `python tests/cases/generate.py` again rewrites the
same bytes. Do not tune a bundle to make a rule fire: each one is written from the
incident it describes.
"""
from __future__ import annotations

import random
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures"
CRLF = "\r\n"
HTTPERR_FIELDS = "date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename"
IIS_FIELDS = ("date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
              "sc-status sc-substatus sc-win32-status time-taken")
UA = "Mozilla/5.0+(Windows+NT+6.1;+WOW64;+Trident/7.0;+rv:11.0)+like+Gecko"
OS = {
    "2003": ("Microsoft(R) Windows(R) Server 2003, Enterprise Edition", "5.2.3790 Service Pack 2 Build 3790"),
    "2003sbs": ("Microsoft(R) Windows(R) Server 2003 for Small Business Server", "5.2.3790 Service Pack 2 Build 3790"),
    "2008": ("Microsoft\u00ae Windows Server\u00ae 2008 Standard ", "6.0.6002 Service Pack 2 Build 6002"),
    "2008r2": ("Microsoft Windows Server 2008 R2 Enterprise ", "6.1.7601 Service Pack 1 Build 7601"),
    "2012r2": ("Microsoft Windows Server 2012 R2 Standard", "6.3.9600 N/A Build 9600"),
    "2016": ("Microsoft Windows Server 2016 Datacenter", "10.0.14393 N/A Build 14393"),
}


def write(path: Path, lines: list[str], encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(CRLF.join(lines + [""]).encode(encoding))


@dataclass
class Bundle:
    name: str
    rng: random.Random
    host: str
    os: str = "2008r2"
    arch: str = "x64"
    ram_mb: int = 8191
    ip: str = "10.1.2.20"
    day: datetime = datetime(2015, 3, 10)
    httperr: list[str] = field(default_factory=list)

    @property
    def out(self) -> Path:
        return HERE / self.name

    # ---- HTTPERR
    def client(self) -> str:
        return f"10.{self.rng.randint(1, 60)}.{self.rng.randint(0, 254)}.{self.rng.randint(2, 250)}"

    def err(self, t: datetime, reason: str, method: str = "-", uri: str = "-", status: str = "-",
            queue: str = "-", version: str = "-", site: str = "-", client: str | None = None, port: int = 80) -> None:
        self.httperr.append((t, f"{t:%Y-%m-%d %H:%M:%S} {client or self.client()} {self.rng.randint(1025, 65500)} "
                                f"{self.ip} {port} {version} {method} {uri} {status} {site} {reason} {queue}"))

    def refused(self, t: datetime, n: int) -> None:
        self.httperr.append((t, f"{t:%Y-%m-%d %H:%M:%S} - - - - - - - - - {n}_Connections_Refused -"))

    def refusals(self, start: datetime, end: datetime, low: int, high: int) -> None:
        """A counted Connections_Refused line every 5 seconds, as HTTP.sys writes them while it refuses."""
        t = start
        while t < end:
            self.refused(t, self.rng.randint(low, high))
            t += timedelta(seconds=5)

    def stuck(self, onset: datetime, end: datetime, reason: str, method: str, urls: list[str], status: str, queue: str,
              site: str, gap: tuple[int, int]) -> None:
        """Requests to a pool that takes none: one `reason` line every `gap` seconds until `end`."""
        t = onset
        while t < end:
            self.err(t, reason, method, self.rng.choice(urls), status, queue, "HTTP/1.1", site)
            t += timedelta(seconds=self.rng.randint(*gap))

    def abandoned(self, kill: datetime, n: int, method: str, url: str, queue: str, site: str, spacing_ms: int) -> None:
        """The requests a killed worker still held, abandoned by its queue at once."""
        for i in range(n):
            self.err(kill + timedelta(milliseconds=spacing_ms * i), "Connection_Abandoned_By_ReqQueue", method, url, "-",
                     queue, "HTTP/1.1", site)

    def idle(self, start: datetime, hours: float, every: tuple[int, int] = (30, 200)) -> None:
        t = start
        while t < start + timedelta(hours=hours):
            self.err(t, "Timer_ConnectionIdle")
            t += timedelta(seconds=self.rng.randint(*every))

    def write_httperr(self, api: str = "2.0") -> None:
        lines = [f"#Software: Microsoft HTTP API {api}", "#Version: 1.0"]
        rows = sorted(self.httperr, key=lambda item: item[0])
        first = rows[0][0] if rows else self.day
        lines += [f"#Date: {first:%Y-%m-%d %H:%M:%S}", f"#Fields: {HTTPERR_FIELDS}"]
        lines += [text for _, text in rows]
        write(self.out / "HTTPERR" / "httperr1.log", lines)

    # ---- IIS W3C log
    def iis(self, rows: list[tuple[datetime, str, str, str, int]], version: str = "7.5") -> None:
        first = rows[0][0]
        lines = [f"#Software: Microsoft Internet Information Services {version}", "#Version: 1.0",
                 f"#Date: {first:%Y-%m-%d %H:%M:%S}", f"#Fields: {IIS_FIELDS}"]
        for t, url, status, win32, taken in sorted(rows, key=lambda r: r[0]):
            stem, _, query = url.partition("?")
            method = "POST" if stem.endswith((".asmx", ".svc", "/upload", ".eas")) else "GET"
            code, _, sub = status.partition(".")
            lines.append(f"{t:%Y-%m-%d %H:%M:%S} {self.ip} {method} {stem} {query or '-'} 80 - {self.client()} {UA} "
                         f"{code} {sub or 0} {win32} {taken}")
        write(self.out / "W3SVC1" / f"u_ex{first:%y%m%d}.log", lines)

    def traffic(self, start: datetime, minutes: int, per_minute, urls: list[str], slow=lambda t, u: False,
                win32=lambda t, u: "0") -> list[tuple]:
        rows = []
        for m in range(minutes):
            t0 = start + timedelta(minutes=m)
            for _ in range(per_minute(t0)):
                t = t0 + timedelta(seconds=self.rng.randint(0, 59))
                url = self.rng.choice(urls)
                taken = self.rng.randint(95_000, 125_000) if slow(t, url) else self.rng.randint(15, 900)
                rows.append((t, url, "200", win32(t, url), taken))
        return rows

    # ---- machine description
    def systeminfo(self) -> None:
        name, version = OS[self.os]
        boot_label = "System Up Time:" if self.os.startswith("2003") else "System Boot Time:"
        boot_value = "6 Days, 2 Hours, 11 Minutes, 40 Seconds" if self.os.startswith("2003") else f"{self.day - timedelta(days=6):%m/%d/%Y}, 4:12:40 AM"
        write(self.out / "systeminfo.txt", [
            "",
            f"Host Name:                 {self.host}",
            f"OS Name:                   {name}",
            f"OS Version:                {version}",
            "OS Manufacturer:           Microsoft Corporation",
            "OS Configuration:          Member Server",
            "OS Build Type:             Multiprocessor Free",
            f"{boot_label:<27}{boot_value}",
            "System Manufacturer:       HP",
            "System Model:              ProLiant DL380 G7",
            f"System Type:               {'X86-based PC' if self.arch == 'x86' else 'x64-based PC'}",
            f"Total Physical Memory:     {self.ram_mb:,} MB",
            f"Available Physical Memory: {self.ram_mb // 3:,} MB",
            "Time Zone:                 (UTC) Coordinated Universal Time",
            "Domain:                    corp.contoso.com",
        ])

    def boot_ini(self, switches: str) -> None:
        write(self.out / "boot.ini", [
            "[boot loader]", "timeout=30", "default=multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS",
            "[operating systems]",
            f'multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS="Windows Server 2003, Enterprise" {switches}',
        ])

    def bcdedit(self, increaseuserva: int | None) -> None:
        lines = ["", "Windows Boot Manager", "--------------------", "identifier              {bootmgr}",
                 "device                  partition=C:", "description             Windows Boot Manager",
                 "default                 {current}", "timeout                 30", "",
                 "Windows Boot Loader", "-------------------", "identifier              {current}",
                 "device                  partition=C:", "path                    \\Windows\\system32\\winload.exe",
                 "description             Windows Server 2008", "osdevice                partition=C:",
                 "systemroot              \\Windows", "nx                      OptOut"]
        if increaseuserva:
            lines.append(f"increaseuserva          {increaseuserva}")
        write(self.out / "bcdedit.txt", lines)

    # ---- kernel memory
    def poolmon(self, name: str, pool_n_kb: int, tags: list[tuple[str, str, int]]) -> None:
        lines = [f" Memory:{self.ram_mb * 1024:>8}K Avail: 1237012K  PageFlts:  1542   InRam Krnl: 5632K P:112340K",
                 f" Commit:2062116K Limit:6241588K Peak:2415132K            Pool N:{pool_n_kb}K P:98304K",
                 " System pool information",
                 " Tag  Type     Allocs            Frees            Diff   Bytes       Per Alloc", ""]
        for tag, kind, size in sorted(tags, key=lambda item: -item[2]):
            diff = max(size // self.rng.choice((128, 256, 512, 1024)), 1)
            frees = self.rng.randint(1000, 900000)
            lines.append(f" {tag:<4} {kind:<5} {frees + diff:>10} ({self.rng.randint(0, 40):>4}) {frees:>10} "
                         f"({self.rng.randint(0, 40):>4}) {diff:>8} {size:>9} ({self.rng.choice((0, 1536)):>5}) {size // diff:>6}")
        write(self.out / name, lines)

    def typeperf(self, counters: list[str], rows: list[tuple[datetime, list[float]]]) -> None:
        header = ['"(PDH-CSV 4.0) (Coordinated Universal Time)(0)"'] + [f'"\\\\{self.host}\\{c}"' for c in counters]
        lines = [",".join(header)]
        for t, values in rows:
            lines.append(",".join([f'"{t:%m/%d/%Y %H:%M:%S}.{self.rng.randint(0, 999):03d}"'] + [f'"{v:.6f}"' if isinstance(v, float) else f'"{v}"' for v in values]))
        write(self.out / "perf.csv", lines)

    # ---- Windows event log (Event Viewer copy, Vista and later)
    def events(self, name: str, log: str, items: list[tuple[datetime, str, int, str, str]]) -> None:
        lines = []
        for t, source, event_id, level, message in sorted(items, key=lambda item: item[0]):
            hour = t.hour % 12 or 12
            lines += [f"Log Name:      {log}", f"Source:        {source}",
                      f"Date:          {t.month}/{t.day}/{t.year} {hour}:{t:%M:%S} {'AM' if t.hour < 12 else 'PM'}",
                      f"Event ID:      {event_id}", "Task Category: None", f"Level:         {level}",
                      "Keywords:      Classic", "User:          N/A", f"Computer:      {self.host}.corp.contoso.com",
                      "Description:", *message.split("\n"), ""]
        write(self.out / name, lines)

    # ---- configuration and state
    def app_host_config(self, pool: str, queue_length: int | None = None, rapid_fail: bool = True,
                        max_connections: int | None = None, web_limits: str = "", private_memory_kb: int | None = None) -> None:
        queue = f' queueLength="{queue_length}"' if queue_length else ""
        failure = "" if rapid_fail else '\n                <failure rapidFailProtection="false" />'
        if private_memory_kb:
            failure += ('\n                <recycling>\n                    <periodicRestart privateMemory='
                        f'"{private_memory_kb}" />\n                </recycling>')
        limits = f'\n                <limits maxConnections="{max_connections}" />' if max_connections else ""
        weblimits = f"\n        <webLimits {web_limits} />" if web_limits else ""
        write(self.out / "applicationHost.config", [
            '<?xml version="1.0" encoding="UTF-8"?>', "<configuration>", "    <system.applicationHost>",
            "        <applicationPools>", '            <add name="DefaultAppPool" />',
            f'            <add name="{pool}"{queue} managedRuntimeVersion="v4.0">{failure}',
            '                <processModel identityType="ApplicationPoolIdentity" />', "            </add>",
            "        </applicationPools>", "        <sites>", f'            <site name="{pool.replace("Pool", "")}" id="1">',
            f'                <application path="/" applicationPool="{pool}">',
            '                    <virtualDirectory path="/" physicalPath="D:\\sites\\app" />',
            "                </application>", "                <bindings>",
            '                    <binding protocol="http" bindingInformation="*:80:" />',
            f"                </bindings>{limits}", "            </site>", "        </sites>" + weblimits,
            "    </system.applicationHost>", "</configuration>",
        ])

    def netstat(self, established: int, time_wait: int = 40) -> None:
        lines = ["", "Active Connections", "", "  Proto  Local Address          Foreign Address        State           PID",
                 "  TCP    0.0.0.0:80             0.0.0.0:0              LISTENING       4",
                 "  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       812",
                 "  TCP    0.0.0.0:3389           0.0.0.0:0              LISTENING       1260"]
        for state, n in (("ESTABLISHED", established), ("TIME_WAIT", time_wait)):
            for _ in range(n):
                remote = f"{self.client()}:{self.rng.randint(1025, 65500)}"
                lines.append(f"  TCP    {self.ip}:80{'':<11}{remote:<23}{state:<16}{4 if state == 'ESTABLISHED' else 0}")
        write(self.out / "netstat-ano.txt", lines)

    def reg_http(self, values: dict[str, int], listen_only: list[str] = ()) -> None:
        """`reg query` of HTTP\\Parameters; `listen_only` is the IP listen list (REG_MULTI_SZ, shown joined by \\0)."""
        lines = ["", "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters",
                 "    EnableErrorLogging    REG_DWORD    0x1",
                 "    ErrorLoggingDir    REG_EXPAND_SZ    %SystemRoot%\\System32\\LogFiles"]
        lines += [f"    {k}    REG_DWORD    {v:#x}" for k, v in values.items()]
        if listen_only:
            lines.append("    ListenOnlyList    REG_MULTI_SZ    " + "\\0".join(listen_only))
        write(self.out / "reg-http-parameters.txt", lines + [""])

    # ---- Windows Server 2003 Event Viewer copy (IIS 6 writes W3SVC events to System)
    def events_2003(self, name: str, items: list[tuple[datetime, str, int, str, str]]) -> None:
        lines = []
        for t, source, event_id, level, message in sorted(items, key=lambda item: item[0]):
            hour = t.hour % 12 or 12
            lines += [f"Event Type:\t{level}", f"Event Source:\t{source}", "Event Category:\tNone", f"Event ID:\t{event_id}",
                      f"Date:\t\t{t.month}/{t.day}/{t.year}", f"Time:\t\t{hour}:{t:%M:%S} {'AM' if t.hour < 12 else 'PM'}",
                      "User:\t\tN/A", f"Computer:\t{self.host}", "Description:", message, ""]
        write(self.out / name, lines)

    def expected(self, top: str, description: str, acceptable: list[str] = (), top3: list[str] = (),
                 answers: dict | None = None, healthy: bool = False, origin: dict | None = None,
                 at_most: dict[str, float] | None = None) -> None:
        """What a senior engineer concludes; for published stories, written from the story's resolution.

        `at_most` caps the certainty of causes the resolution rules out: a report that puts one of
        them above its cap misleads the help desk even when the first cause is right.
        """
        data = {"description": description, "top": top, "acceptable_top": list(acceptable), "top3": list(top3)}
        if at_most:
            data["at_most"] = at_most
        if answers:
            data["answers"] = answers
        if healthy:
            data["healthy"] = True
        if origin:
            data["origin"] = origin
        (self.out / "expected.yaml").write_text(yaml.safe_dump(data, sort_keys=False, width=100), encoding="utf-8")


def at(b: Bundle, h: int, m: int = 0, s: int = 0) -> datetime:
    return b.day.replace(hour=h, minute=m, second=s)


# ---------------------------------------------------------------- kernel memory
def refused_av_leak_3gb(b: Bundle) -> None:
    b.os, b.arch, b.ram_mb = "2003", "x86", 4095
    b.idle(at(b, 8), 9)
    b.refusals(at(b, 16, 40, 2), at(b, 17, 5), 2, 6)
    b.write_httperr("1.0")
    b.systeminfo()
    b.boot_ini("/fastdetect /3GB /NoExecute=OptOut")
    base = [("Irp ", "Nonp", 4_194_304), ("TCPt", "Nonp", 3_407_872), ("UlHT", "Nonp", 2_752_512), ("Thre", "Nonp", 1_468_006),
            ("MmCm", "Nonp", 6_553_600), ("File", "Paged", 9_437_184), ("NtFs", "Paged", 7_340_032)]
    b.poolmon("poolmon-1400.txt", 96_000, base + [("SAVf", "Nonp", 58_720_256)])
    b.poolmon("poolmon-1640.txt", 111_800, base + [("SAVf", "Nonp", 74_973_184)])
    b.expected("nonpaged-pool-exhausted", "x86 Server 2003 with /3GB; an antivirus filter tag grows between two poolmon "
               "captures until free non-paged pool drops under 20 MB and http.sys refuses connections.",
               ["pool-leak-driver"], ["pool-leak-driver", "boot-3gb-switch"])


def refused_leak_x64(b: Bundle) -> None:
    b.os, b.arch, b.ram_mb = "2008r2", "x64", 4096
    b.idle(at(b, 6), 10)
    t = at(b, 15, 12)
    while t < at(b, 15, 40):
        b.refused(t, b.rng.randint(1, 9))
        t += timedelta(seconds=b.rng.choice((5, 5, 10)))
    b.write_httperr()
    b.systeminfo()
    rows, t, npp = [], at(b, 8), 410.0
    while t <= at(b, 15, 30):
        rows.append((t, [int(npp * 1024 * 1024), round(b.rng.uniform(15, 45), 6)]))
        npp += b.rng.uniform(5.5, 7.5)
        t += timedelta(minutes=15)
    b.typeperf(["Memory\\Pool Nonpaged Bytes", "Processor(_Total)\\% Processor Time"], rows)
    b.poolmon("poolmon.txt", int(npp * 1024), [("BkpF", "Nonp", int((npp - 260) * 1024 * 1024)), ("Irp ", "Nonp", 22_000_000),
                                              ("TcpE", "Nonp", 18_000_000), ("File", "Nonp", 9_000_000), ("MmCa", "Nonp", 6_000_000)])
    b.events("system-events.txt", "System", [(at(b, 15, m), "Srv", 2019, "Error",
              "The server was unable to allocate from the system nonpaged pool because the pool was empty.") for m in (14, 22, 31)])
    b.expected("nonpaged-pool-exhausted", "x64 Server 2008 R2 with 4 GB: a backup filter driver's tag climbs all day "
               "(perfmon), Srv 2019 events, refusals.", ["pool-leak-driver"], ["pool-leak-driver"])


def refused_connection_load(b: Bundle) -> None:
    b.os, b.arch, b.ram_mb = "2003", "x86", 3071
    b.idle(at(b, 9), 6, (10, 40))
    b.refusals(at(b, 14, 2), at(b, 14, 20), 8, 30)
    b.write_httperr("1.0")
    b.systeminfo()
    b.boot_ini("/fastdetect /NoExecute=OptOut")
    b.poolmon("poolmon.txt", 243_600, [("TCPt", "Nonp", 52_000_000), ("UlHT", "Nonp", 46_000_000), ("AfdB", "Nonp", 41_000_000),
                                      ("UlCO", "Nonp", 38_000_000), ("Irp ", "Nonp", 30_000_000), ("TcpE", "Nonp", 22_000_000),
                                      ("File", "Paged", 9_437_184)])
    b.netstat(2600, 300)
    b.iis(b.traffic(at(b, 12), 130, lambda t: b.rng.randint(300, 420), ["/poll.aspx", "/chat/send.ashx", "/default.aspx"]))
    b.expected("nonpaged-pool-exhausted", "x86 Server 2003 long-polling chat site: the pool is shared by TCP, AFD and "
               "HTTP.sys tags for thousands of open connections; no single driver stands out.",
               ["connection-load-npp"], ["connection-load-npp"], answers={"answer.many_connections_expected": True})


def refused_increaseuserva(b: Bundle) -> None:
    b.os, b.arch, b.ram_mb = "2008", "x86", 4095
    b.idle(at(b, 7), 8)
    t = at(b, 13, 5)
    while t < at(b, 13, 30):
        b.refused(t, b.rng.randint(1, 5))
        t += timedelta(seconds=5)
    b.write_httperr()
    b.systeminfo()
    b.bcdedit(3072)
    b.poolmon("poolmon.txt", 255_000, [("Irp ", "Nonp", 40_000_000), ("TCPt", "Nonp", 35_000_000), ("MmCa", "Nonp", 30_000_000),
                                      ("UlHT", "Nonp", 28_000_000), ("File", "Nonp", 25_000_000), ("Thre", "Nonp", 20_000_000)])
    b.expected("nonpaged-pool-exhausted", "x86 Server 2008 booted with increaseuserva 3072 for a 32-bit app that no "
               "longer runs there; the kernel pools are squeezed and http.sys refuses connections.",
               ["boot-3gb-switch"], ["boot-3gb-switch"])


# ---------------------------------------------------------------- Connection_Dropped
def dropped_under_load(b: Bundle) -> None:
    peak = (at(b, 11, 30), at(b, 12, 10))
    busy = lambda t: peak[0] <= t < peak[1]  # noqa: E731
    urls = ["/shop/cart.aspx", "/shop/search.aspx", "/shop/product.aspx", "/shop/checkout.aspx", "/api/stock.asmx", "/default.aspx"]
    rows = b.traffic(at(b, 10), 180, lambda t: b.rng.randint(160, 220) if busy(t) else b.rng.randint(25, 40), urls,
                     slow=lambda t, u: busy(t) and b.rng.random() < 0.25)
    b.iis(rows)
    for t, url, _, _, taken in rows:
        if taken > 110_000:
            b.err(t + timedelta(milliseconds=taken), "Connection_Dropped", "GET", url, "-", "ShopPool", "HTTP/1.1", "1")
    b.idle(at(b, 10), 3)
    b.write_httperr()
    b.systeminfo()
    b.typeperf(["Processor(_Total)\\% Processor Time", "HTTP Service Request Queues(ShopPool)\\CurrentQueueSize"],
               [(at(b, 10) + timedelta(minutes=5 * i), [round(b.rng.uniform(93, 99.5) if busy(at(b, 10) + timedelta(minutes=5 * i)) else b.rng.uniform(20, 45), 6),
                                                        b.rng.randint(300, 900) if busy(at(b, 10) + timedelta(minutes=5 * i)) else b.rng.randint(0, 3)])
                for i in range(36)])
    b.expected("logging-timeout-under-load", "Lunchtime sale: five times the usual request rate, CPU at 95%+, the queue "
               "backs up and drops spread over all shop pages.", [], [])


def dropped_app_one_url(b: Bundle) -> None:
    urls = ["/portal/home.aspx", "/portal/news.aspx", "/portal/report.aspx", "/images/logo.png"]
    rows = b.traffic(at(b, 8), 240, lambda t: b.rng.randint(30, 40), urls,
                     slow=lambda t, u: u == "/portal/report.aspx" and b.rng.random() < 0.3)
    b.iis(rows)
    for t, url, _, _, taken in rows:
        if taken > 118_000:
            b.err(t + timedelta(milliseconds=taken), "Connection_Dropped", "POST", url, "-", "PortalPool", "HTTP/1.1", "2")
    b.idle(at(b, 8), 4)
    b.write_httperr()
    b.systeminfo()
    b.events("application-events.txt", "Application", [
        (at(b, 8) + timedelta(minutes=b.rng.randint(0, 239)), "ASP.NET 4.0.30319.0", 1309, "Warning",
         "Event code: 3001 Event message: The request has been aborted. Request URL: http://portal/portal/report.aspx "
         "Exception type: HttpException Exception message: Request timed out.") for _ in range(12)])
    b.expected("app-not-sending-response", "An intranet report page blocks on a slow query at ordinary load; only its "
               "URL drops and ASP.NET logs request time-outs.", [], ["logging-timeout-under-load"])


def dropped_answers_load(b: Bundle) -> None:
    t = at(b, 19, 2)
    for _ in range(140):
        b.err(t, "Connection_Dropped", "GET", b.rng.choice(["/", "/catalog", "/catalog/item", "/basket", "/search"]), "-",
              "DefaultAppPool", "HTTP/1.1", "1")
        t += timedelta(seconds=b.rng.randint(2, 12))
    b.idle(at(b, 17), 4)
    b.write_httperr()
    b.expected("logging-timeout-under-load", "Only the HTTPERR folder was sent; the help-desk person confirmed in the "
               "wizard that the evening campaign peak hit at the drop times.", [], [],
               answers={"answer.heavy_load_at_drops": True, "answer.app_errors_at_drops": False})


# ---------------------------------------------------------------- application pools
def rapid_fail(b: Bundle) -> None:
    start = at(b, 9, 41, 10)
    for i in range(260):
        t = start + timedelta(seconds=i * b.rng.randint(1, 4))
        b.err(t, "AppOffline", "GET", b.rng.choice(["/", "/login.aspx", "/orders"]), "503", "OrdersPool", "HTTP/1.1", "2")
    b.idle(at(b, 8), 3)
    b.write_httperr()
    b.systeminfo()
    crash = "A process serving application pool 'OrdersPool' terminated unexpectedly. The process id was '{pid}'. The process exit code was '0xe0434352'."
    items = [(at(b, 9, 36) + timedelta(seconds=50 * i), "Microsoft-Windows-WAS", 5009, "Warning", crash.format(pid=4100 + i)) for i in range(5)]
    items.append((at(b, 9, 41, 5), "Microsoft-Windows-WAS", 5002, "Error",
                  "Application pool 'OrdersPool' is being automatically disabled due to a series of failures in the process(es) serving that application pool."))
    b.events("system-events.txt", "System", items)
    b.app_host_config("OrdersPool")
    b.expected("app-pool-rapid-fail", "Five w3wp crashes in four minutes (unhandled .NET exception), then WAS 5002 and "
               "503 AppOffline for every request.", [], ["worker-process-failure"])


def pool_stopped(b: Bundle) -> None:
    start = at(b, 22, 0, 4)
    for i in range(180):
        b.err(start + timedelta(seconds=i * 7), "Disabled", "GET", b.rng.choice(["/", "/hr/leave.aspx"]), "503", "HrPool", "HTTP/1.1", "3")
    b.idle(at(b, 20), 4)
    b.write_httperr()
    b.systeminfo()
    b.expected("app-pool-stopped", "A maintenance script stopped HrPool at 22:00 and failed before starting it again; "
               "every request gets 503 Disabled.", [], [], answers={"answer.pool_stopped": True})


def cpu_limit(b: Bundle) -> None:
    b.os = "2003"
    b.arch, b.ram_mb = "x86", 4095
    for burst in (at(b, 10, 5), at(b, 13, 40), at(b, 15, 12)):
        for i in range(40):
            b.err(burst + timedelta(seconds=i * 3), "AppShutdown", "GET", "/reports/run.asp", "503", "ReportsPool", "HTTP/1.1", "4")
    b.idle(at(b, 9), 7)
    b.write_httperr("1.0")
    b.systeminfo()
    b.boot_ini("/fastdetect /NoExecute=OptOut")
    b.expected("app-pool-cpu-limit", "IIS 6 pool with CPU monitoring set to shut down at 60%; a heavy report pushes it "
               "over three times a day.", [], [], answers={"answer.cpu_limit_action": "KillW3wp"})


def queue_full(b: Bundle) -> None:
    start = at(b, 14, 20)
    for i in range(420):
        b.err(start + timedelta(seconds=i // 3), "QueueFull", "GET", b.rng.choice(["/", "/api/price", "/api/stock"]), "503",
              "ApiPool", "HTTP/1.1", "1")
    b.idle(at(b, 13), 3)
    b.write_httperr()
    b.systeminfo()
    b.app_host_config("ApiPool", queue_length=1000)
    rows = []
    for i in range(24):
        t = at(b, 14) + timedelta(minutes=2 * i)
        q = 1000 if 10 <= i <= 13 else b.rng.randint(0, 40)
        rows.append((t, [q, round(b.rng.uniform(60, 80), 6)]))
    b.typeperf(["HTTP Service Request Queues(ApiPool)\\CurrentQueueSize", "Processor(_Total)\\% Processor Time"], rows)
    b.expected("request-queue-full", "A price API burst fills ApiPool's 1,000-place queue for eight minutes; HTTP.sys "
               "answers 503 QueueFull.", [], [])


def queue_not_draining(b: Bundle) -> None:
    start = at(b, 3, 10)
    for i in range(90):
        t = start + timedelta(seconds=i * b.rng.randint(4, 9))
        b.err(t, b.rng.choice(["Timer_ReqQueue", "Timer_ReqQueue", "AppPoolTimer"]), "GET",
              b.rng.choice(["/", "/search"]), "-", "SearchPool", "HTTP/1.1", "1")
    b.idle(at(b, 1), 4)
    b.write_httperr()
    b.systeminfo()
    b.events("system-events.txt", "System", [
        (at(b, 3, 14) + timedelta(minutes=4 * i), "Microsoft-Windows-WAS", 5010, "Warning",
         f"A process serving application pool 'SearchPool' failed to respond to a ping. The process id was '{5200 + i}'.")
        for i in range(3)])
    b.expected("queue-not-draining", "SearchPool's worker deadlocks on a lock at night: requests time out in the queue "
               "and WAS kills the hung worker after failed pings.", [], ["worker-process-failure"])


def worker_crash_abandoned(b: Bundle) -> None:
    crashes = [at(b, 10, 12), at(b, 11, 47), at(b, 13, 3), at(b, 15, 30)]
    for c in crashes:
        for i in range(b.rng.randint(8, 20)):
            b.err(c + timedelta(milliseconds=200 * i), "Connection_Abandoned_By_ReqQueue", "POST", "/api/orders.svc", "-",
                  "OrdersPool", "HTTP/1.1", "1")
    b.idle(at(b, 9), 7)
    b.write_httperr()
    b.systeminfo()
    items = [(c - timedelta(seconds=1), "Microsoft-Windows-WAS", 5011, "Warning",
              "A process serving application pool 'OrdersPool' suffered a fatal communication error with the Windows Process "
              f"Activation Service. The process id was '{3300 + i}'. The data field contains the error number.")
             for i, c in enumerate(crashes)]
    b.events("system-events.txt", "System", items)
    b.events("application-events.txt", "Application", [
        (c - timedelta(seconds=2), "Application Error", 1000, "Error",
         "Faulting application name: w3wp.exe, version: 7.5.7601.17514, faulting module name: OraOps11w.dll") for c in crashes])
    b.expected("worker-process-failure", "A native database driver crashes w3wp four times a day; the requests in flight "
               "are abandoned (Connection_Abandoned_By_ReqQueue) and WAS logs 5011.", [], [])


# ---------------------------------------------------------------- limits
def site_connection_limit(b: Bundle) -> None:
    start = at(b, 9, 1)
    for i in range(300):
        b.err(start + timedelta(seconds=i * 2), "ConnLimit", "GET", b.rng.choice(["/", "/timesheet.aspx"]), "503", "-", "HTTP/1.1", "1")
    b.idle(at(b, 8), 3)
    b.write_httperr()
    b.systeminfo()
    b.app_host_config("TimesheetPool", max_connections=250)
    b.netstat(248, 60)
    b.expected("site-connection-limit", "Monday 09:00 timesheet rush against a site limited to 250 concurrent "
               "connections years ago.", [], [])


def header_too_large(b: Bundle) -> None:
    for i in range(64):
        t = at(b, 8) + timedelta(minutes=b.rng.randint(0, 540))
        b.err(t, "FieldLength", "GET", "/sites/finance/default.aspx", "400", "-", "HTTP/1.1", "-")
    b.idle(at(b, 8), 9)
    b.write_httperr()
    b.systeminfo()
    b.reg_http({"MaxFieldLength": 8192, "MaxRequestBytes": 16384})
    b.expected("header-too-large", "Finance users in hundreds of AD groups get 'Header Field Too Long' because "
               "MaxFieldLength was halved to 8 KB by a hardening script.", [], [],
               answers={"answer.users_large_group_membership": True})


def url_reservation_conflict(b: Bundle) -> None:
    start = at(b, 7, 30)
    for i in range(150):
        b.err(start + timedelta(seconds=i * 11), "N/A", "GET", b.rng.choice(["/api/", "/api/status"]), "503", "-", "HTTP/1.1", "-")
    b.idle(at(b, 7), 6)
    b.write_httperr()
    b.systeminfo()
    b.expected("url-reservation-conflict", "A monitoring agent installed an HTTP listener with a urlacl for "
               "http://+:80/api/; requests for the site's /api path get 503 N/A.", [], [],
               answers={"answer.urlacl_conflict": True})



def urlacl_agent_api(b: Bundle) -> None:
    b.os = "2016"
    for i in range(120):
        b.err(at(b, 9, 12) + timedelta(seconds=i * 14), "N/A", "GET", b.rng.choice(["/api/orders", "/api/status"]), "503",
              "-", "HTTP/1.1", "-")
    b.idle(at(b, 8), 5)
    b.write_httperr()
    b.systeminfo()
    b.app_host_config("ShopPool")
    shutil.copyfile(FIXTURES / "urlacl" / "server2016-agent-api.txt", b.out / "netsh-http-urlacl.txt")
    b.expected("url-reservation-conflict", "A monitoring agent's installer reserved http://+:80/api/ for its service "
               "account; the site's /api requests get 503 N/A. Nobody answered the wizard: the urlacl file shows it.",
               [], [])


def urlacl_normal_pool_empty(b: Bundle) -> None:
    b.os, b.arch, b.ram_mb = "2008r2", "x64", 4096
    b.idle(at(b, 6), 9)
    for i in range(40):
        b.err(at(b, 14, 5) + timedelta(seconds=i * 20), "N/A", "GET", b.rng.choice(["/", "/cart", "/api/orders"]), "503",
              "-", "HTTP/1.1", "-")
    b.write_httperr()
    b.systeminfo()
    b.app_host_config("ShopPool")
    b.poolmon("poolmon.txt", 3_060 * 1024, [("BkpF", "Nonp", 3_020_000_000), ("Irp ", "Nonp", 22_000_000),
                                             ("TcpE", "Nonp", 18_000_000), ("File", "Nonp", 9_000_000)])
    shutil.copyfile(FIXTURES / "urlacl" / "server2012r2-defaults.txt", b.out / "netsh-http-urlacl.txt")
    b.expected("nonpaged-pool-exhausted", "HTTP.sys answers 503 N/A while a backup filter's tag holds nearly all of "
               "the non-paged pool; the URL reservations are Windows' own, so no reservation conflict.",
               ["pool-leak-driver"], [])


def iplisten_cloned_server(b: Bundle) -> None:
    # The listed network address failed to bind, so HTTP.sys listened on loopback alone and logged only local connections.
    b.os, b.ip = "2012r2", "127.0.0.1"
    boot = at(b, 7, 42)
    for i in range(30):
        b.err(boot + timedelta(minutes=3 + i * 9), "Timer_ConnectionIdle", client="127.0.0.1")
    b.write_httperr()
    b.systeminfo()
    b.app_host_config("PortalPool")
    message = ("Unable to bind to the underlying transport for 192.168.33.1:{port}. The IP Listen-Only list may contain a "
               "reference to an interface which may not exist on this machine.  The data field contains the error number.")
    b.events("system-events.txt", "System", [(boot, "Microsoft-Windows-HttpEvent", 15005, "Error", message.format(port=port))
                                             for port in (80, 443)])
    shutil.copyfile(FIXTURES / "real" / "netsh_http_show_iplisten_cloned_server.txt", b.out / "netsh-http-iplisten.txt")
    b.expected("ip-listen-list-excludes-site", "A server cloned from another answers only on localhost: its IP listen "
               "list still names the old server's address, HTTP.sys logs 15005 for it at boot, and no client reaches "
               "the site (a published engineer's note).", [], [])

# ---------------------------------------------------------------- clients
def scanner_parse_errors(b: Bundle) -> None:
    probes = [("GET", "/..%5c..%5cwinnt/win.ini", "400", "URL"), ("GET", "/scripts/..%c1%1c../winnt/system32/cmd.exe", "400", "URL"),
              ("GET", "/index.php?id=1'+OR+'1'='1", "400", "BadRequest"), ("GET", "/\\..\\..\\boot.ini", "403", "Forbidden"),
              ("PROPFIND", "/", "400", "Hostname"), ("QWERTY", "/", "400", "Verb"), ("GET", "/", "505", "Version_N/S")]
    attacker = "203.0.113.45"
    for i in range(240):
        method, uri, status, reason = b.rng.choice(probes)
        b.err(at(b, 2, 10) + timedelta(seconds=i * 3), reason, method, uri, status, "-", "HTTP/1.1", "-", client=attacker)
    b.idle(at(b, 0), 6)
    b.write_httperr()
    b.systeminfo()
    b.expected("malformed-requests", "A vulnerability scanner from one internet address walks traversal and SQL "
               "injection probes at 2 AM.", [], [])


def slow_clients(b: Bundle) -> None:
    b.os = "2012r2"
    for i in range(160):
        t = at(b, 8) + timedelta(minutes=b.rng.randint(0, 600))
        reason = b.rng.choice(["Timer_MinBytesPerSecond"] * 4 + ["Timer_EntityBody"])
        b.err(t, reason, "GET" if reason.endswith("Second") else "POST",
              "/downloads/setup.zip" if reason.endswith("Second") else "/upload", "-", "FilesPool", "HTTP/1.1", "1")
    b.idle(at(b, 8), 10)
    b.write_httperr()
    b.systeminfo()
    b.app_host_config("FilesPool", web_limits='minBytesPerSecond="2048"')
    b.expected("slow-clients", "A download site on Server 2012 R2 with minBytesPerSecond raised to 2 KB/s cuts field "
               "engineers on slow mobile links.", [], [])


def slowloris(b: Bundle) -> None:
    b.os = "2016"
    for wave in (at(b, 23, 4), at(b, 23, 31)):
        for i in range(520):
            b.err(wave + timedelta(seconds=120 + i // 8), "Timer_HeaderWait", "-", "-", "-", "-", "-", "-",
                  client=f"198.51.100.{b.rng.randint(10, 14)}")
    b.idle(at(b, 21), 4)
    b.write_httperr()
    b.systeminfo()
    b.expected("slow-header-attack", "Two waves of slow-header connections from five addresses; HTTP.sys cuts "
               "hundreds a minute after the two-minute header wait.", [], [])


def dropped_list_full(b: Bundle) -> None:
    lb = ["10.1.0.5", "10.1.0.6"]
    rows = b.traffic(at(b, 9), 120, lambda t: b.rng.randint(50, 70), ["/health.htm", "/", "/app/home"],
                     win32=lambda t, u: "64" if u == "/health.htm" else "0")
    b.iis(rows)
    for i in range(45):
        b.err(at(b, 9) + timedelta(minutes=b.rng.randint(0, 119), seconds=b.rng.randint(0, 59)), "Connection_Dropped_List_Full",
              client=b.rng.choice(lb))
    b.idle(at(b, 9), 2)
    b.write_httperr()
    b.systeminfo()
    b.expected("dropped-list-full", "A new load balancer health probe sends GET /health.htm and resets the connection "
               "without reading the answer; IIS logs '200 0 64' for every probe.", [], [],
               answers={"answer.load_balancer_in_front": True})


# ---------------------------------------------------------------- noise and configuration
def idle_only(b: Bundle) -> None:
    b.idle(at(b, 0), 24, (20, 120))
    b.write_httperr()
    b.systeminfo()
    b.iis(b.traffic(at(b, 10), 60, lambda t: b.rng.randint(10, 20), ["/", "/about", "/contact"]))
    b.expected("idle-connections-benign", "A healthy brochure site: HTTPERR holds only idle keep-alive expiries; the "
               "user complaint was about their own proxy.", [], [], healthy=True)


def client_resets(b: Bundle) -> None:
    for i in range(70):
        b.err(at(b, 8) + timedelta(minutes=b.rng.randint(0, 480)), "Client_Reset", "GET", "/", "-", "-", "HTTP/1.1", "-")
    b.write_httperr()
    b.systeminfo()
    b.expected("client-disconnects-benign", "A short HTTPERR file from a quiet intranet server: a handful of users "
               "closing their browsers before the page came back.", ["idle-connections-benign"], [], healthy=True)


def notfound_binding(b: Bundle) -> None:
    for i in range(130):
        b.err(at(b, 8) + timedelta(minutes=b.rng.randint(0, 300)), "NotFound", "GET", "/", "404", "-", "HTTP/1.1", "-")
    b.idle(at(b, 8), 5)
    b.write_httperr()
    b.systeminfo()
    b.expected("no-site-binding", "After a rename the site's host-header binding still says the old name; users "
               "typing the new DNS name get HTTP.sys's own 404.", [], [], answers={"answer.users_get_404": True})


def internal_errors(b: Bundle) -> None:
    for i in range(25):
        b.err(at(b, 11) + timedelta(minutes=b.rng.randint(0, 60)), "Internal", "GET", "/", "500", "-", "HTTP/1.1", "-")
    b.idle(at(b, 10), 3)
    b.write_httperr()
    b.systeminfo()
    b.expected("httpsys-internal-error", "HTTP.sys itself answers 500 Internal for an hour after a half-installed "
               "update; nothing else is wrong.", [], [])


# ---------------------------------------------------------------- real published log excerpts
REAL = HERE.parent / "fixtures" / "real"


def real_excerpt(source: str, target: str):
    """A bundle whose HTTPERR file is a real published excerpt (see tests/fixtures/real/SOURCES.md)."""
    def build(b: Bundle) -> None:
        (b.out / "HTTPERR").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REAL / source, b.out / "HTTPERR" / target)
    return build


def real_fieldlength(b: Bundle) -> None:
    real_excerpt("httperr_ms_troubleshoot-http-400_fieldlength.txt", "httperr1.log")(b)
    b.expected("header-too-large", "Microsoft's HTTP 400 article: one request rejected with FieldLength on a server whose "
               "MaxFieldLength was set to 2 to reproduce it (real excerpt, customised 7-field layout).", [], [])


def real_refused_2005(b: Bundle) -> None:
    real_excerpt("httperr_davidwang_2005_connections_refused_excerpt.txt", "httperr2.log")(b)
    b.os, b.arch, b.ram_mb = "2003", "x86", 2047
    b.systeminfo()
    b.expected("nonpaged-pool-exhausted", "A reader's IIS 6 log quoted by David Wang: counted Connections_Refused lines "
               "(real excerpt) with the server's systeminfo.", [], [])


def real_wcf_min_send_rate(b: Bundle) -> None:
    real_excerpt("httperr_ms_kb3137046_wcf_timer_minbytespersecond.txt", "httperr1.log")(b)
    b.os = "2012r2"
    b.systeminfo()
    b.expected("slow-clients", "KB 3137046: a self-hosted WCF service on Server 2012 R2 has its slow POST clients cut by "
               "HTTP.sys's stricter minimum send rate (real excerpt).", [], [])


# ---------------------------------------------------------------- published troubleshooting stories
# Each bundle rebuilds a published case as a help desk would have collected it. The
# expectation comes from the story's own resolution (`origin`), written before the tool
# was run on the bundle; names, addresses and exact counts are made up around it.
WAS = "Microsoft-Windows-WAS"
SCM = "Service Control Manager"


def healthy_idle_url_scans(b: Bundle) -> None:
    b.day = datetime(2016, 5, 2)
    b.idle(at(b, 0), 33, (8, 32))
    scanners = ["198.51.100.23", "203.0.113.77", "192.0.2.140"]
    for _ in range(14):
        t = at(b, 0) + timedelta(minutes=b.rng.randint(0, 33 * 60))
        b.err(t, "URL", "GET", b.rng.choice(["/scripts/..%c1%9c../winnt/system32/cmd.exe", "/_vti_bin/..%255c..%255cwinnt/system32/cmd.exe",
                                             "/msadc/..%c0%af../..%c0%af../winnt/system32/cmd.exe"]),
              "400", "-", "HTTP/1.0", "-", client=b.rng.choice(scanners))
    for _ in range(3):
        b.err(at(b, 0) + timedelta(minutes=b.rng.randint(0, 33 * 60)), "Hostname", "GET", "/", "400", "-", "HTTP/1.1", "-",
              client=b.rng.choice(scanners))
    b.write_httperr()
    b.systeminfo()
    b.expected("idle-connections-benign", "A working web server's HTTPERR over 33 hours: thousands of idle keep-alive "
               "expiries and a few URL rejections of worm and scanner probes; nothing is wrong with the server.",
               healthy=True, origin={
                   "url": "https://blogs.msdn.microsoft.com/webtransports/2004/07/15/http-syss-httperr-and-timer_connectionidle/",
                   "title": "Http.sys's HTTPERR and Timer_ConnectionIdle (Microsoft web transports blog, 2004)",
                   "resolution": "Timer_ConnectionIdle entries are keep-alive connections closed after two idle minutes and "
                                 "the URL entries are scanners rejected by HTTP.sys's strict parsing: informational, "
                                 "nothing to worry about or fix."})


def healthy_dropped_midload(b: Bundle) -> None:
    b.os, b.day = "2012r2", datetime(2019, 1, 17)
    urls = ["/address/", "/", "/contact/", "/css/site.css", "/js/app.js", "/img/banner.jpg"]
    rows = b.traffic(at(b, 1), 180, lambda t: b.rng.randint(20, 40), urls)
    drops = sorted(at(b, 1) + timedelta(minutes=b.rng.randint(5, 175), seconds=b.rng.randint(0, 59)) for _ in range(5))
    for t in drops:
        rows.append((t, "/address/", "500.19", "64", b.rng.randint(4000, 9000)))
        b.err(t, "Connection_Dropped", "GET", "/address/", "-", "DefaultAppPool", "HTTP/1.1", "1")
    b.iis(rows, "8.5")
    b.idle(at(b, 1), 3, (15, 60))
    b.write_httperr()
    b.systeminfo()
    b.expected("client-disconnects-benign", "A handful of visitors lose their connection (Wi-Fi off, device asleep) while a "
               "page loads: IIS logs '500 19 64' and HTTPERR Connection_Dropped for those few requests; the server is fine.",
               ["idle-connections-benign"], healthy=True, origin={
                   "url": "https://port135.com/2019/02/13/500-19-client-drops-connection-loading-website/",
                   "title": "IIS logs 500.19 if a client drops connection while loading the website (port135.com, 2019)",
                   "resolution": "The client dropped the connection before the page finished loading; the 500.19 and the "
                                 "Connection_Dropped entry are the expected record of that, not a server fault."})


def longpoll_activesync_ping(b: Bundle) -> None:
    b.day = datetime(2009, 8, 5)
    devices = [(f"user{i:03d}", f"Appl{b.rng.randint(10**9, 10**10 - 1)}", b.rng.choice(["iPhone", "PalmPre", "SmartPhone"]))
               for i in range(60)]

    def eas(cmd: str) -> str:
        user, device, kind = b.rng.choice(devices)
        return f"/Microsoft-Server-ActiveSync/default.eas?User={user}&DeviceId={device}&DeviceType={kind}&Cmd={cmd}"

    rows = []
    for m in range(240):
        t0 = at(b, 8) + timedelta(minutes=m)
        for _ in range(b.rng.randint(8, 16)):
            rows.append((t0 + timedelta(seconds=b.rng.randint(0, 59)), b.rng.choice(["/owa/", "/owa/ev.owa", "/owa/default.aspx"]),
                         "200", "0", b.rng.randint(15, 700)))
        for _ in range(b.rng.randint(2, 5)):
            rows.append((t0 + timedelta(seconds=b.rng.randint(0, 59)), eas("Sync"), "200", "0", b.rng.randint(80, 1500)))
        for _ in range(b.rng.randint(3, 6)):
            rows.append((t0 + timedelta(seconds=b.rng.randint(0, 59)), eas("Ping"), "200", "0", b.rng.randint(480_000, 1_740_000)))
    b.iis(rows)
    carriers = ["172.56.14.9", "172.56.20.33", "100.64.8.17"]
    for _ in range(46):
        t = at(b, 8) + timedelta(minutes=b.rng.randint(0, 239), seconds=b.rng.randint(0, 59))
        b.err(t, "Connection_Dropped", "POST", eas("Ping"), "-", "MSExchangeSyncAppPool", "HTTP/1.1", "1",
              client=b.rng.choice(carriers))
    b.idle(at(b, 8), 4, (5, 25))
    b.write_httperr()
    b.systeminfo()
    message = ("The average of the most recent [526] heartbeat intervals used by clients is less than or equal to [540]. "
               "Make sure that your firewall configuration is set to work correctly with Exchange ActiveSync and Direct Push technology.")
    b.events("application-events.txt", "Application",
             [(at(b, h, 1, 7), "MSExchange ActiveSync", 1040, "Warning", message) for h in (9, 11)])
    b.expected("client-disconnects-benign", "Exchange 2007 client access server: phones hold ActiveSync Ping requests open "
               "for up to half an hour by design and some vanish on the mobile network mid-ping; HTTPERR logs those as "
               "Connection_Dropped. Nobody complains and the server is healthy.",
               ["idle-connections-benign"], healthy=True, origin={
                   "url": "https://serverfault.com/questions/51111/exchange-activesync-heartbeat-intervals",
                   "title": "Exchange ActiveSync heartbeat intervals (Server Fault) with KB 905013, Enterprise firewall "
                            "configuration for Exchange ActiveSync Direct Push",
                   "resolution": "Direct Push keeps each Ping open for the heartbeat interval by design; the short heartbeats "
                                 "come from a device's network (most likely the mobile carrier) closing idle connections; "
                                 "nothing to change on the server, users see no failures."})


def hang_queuefull_admin_recycle(b: Bundle) -> None:
    b.day = datetime(2014, 6, 11)
    onset, recycle = at(b, 18, 40), at(b, 21, 10)
    b.stuck(onset, recycle, "QueueFull", "GET", ["/portal/", "/portal/default.aspx", "/uag/login.asp"], "503", "PortalPool",
            "1", (5, 14))
    kill = recycle + timedelta(seconds=92)
    b.abandoned(kill, 38, "GET", "/portal/default.aspx", "PortalPool", "1", 40)
    b.idle(at(b, 16), 7, (10, 40))
    b.write_httperr()
    b.systeminfo()
    b.app_host_config("PortalPool")
    rows = []
    t = at(b, 17)
    while t <= at(b, 21, 40):
        hung = onset - timedelta(minutes=2) <= t < recycle + timedelta(minutes=2)
        queue = 1000 if hung else b.rng.randint(0, 6)
        cpu = b.rng.uniform(1, 3) if hung else b.rng.uniform(8, 22)
        rows.append((t, [queue, round(cpu, 6)]))
        t += timedelta(minutes=1)
    b.typeperf(["HTTP Service Request Queues(PortalPool)\\CurrentQueueSize", "Processor(_Total)\\% Processor Time"], rows)
    b.events("system-events.txt", "System", [
        (kill, WAS, 5013, "Warning", "A process serving application pool 'PortalPool' exceeded time limits during shut down. "
                                    "The process id was '4412'.")])
    b.expected("queue-not-draining", "A deadlock in the portal's worker stops it taking requests: the queue sits at its "
               "1,000 limit for two and a half hours with the CPU idle and every request gets 503 QueueFull, until the "
               "administrator recycles the pool (the hung worker overruns its shutdown time: WAS 5013 and the queued "
               "requests are abandoned).", [], ["request-queue-full"], origin={
                   "url": "https://support.microsoft.com/en-us/topic/fix-http-503-errors-on-a-server-that-is-running-forefront-unified-access-gateway-2010-service-pack-4-96896cda-7659-ee61-d6ef-a23a903a6d4f",
                   "title": "FIX: HTTP 503 errors on a server that is running Forefront UAG 2010 SP4 (with LeanSentry's "
                            "'How to fix IIS website hangs': most hangs do not involve high CPU)",
                   "resolution": "A deadlock stops requests being processed; they back up until the queue is full and "
                                 "every request gets 503 QueueFull until the worker is recycled or IIS restarted. Fixed by "
                                 "the product update; the recycle only ended the outage."})


def hang_reqqueue_iisreset(b: Bundle) -> None:
    b.os, b.day = "2012r2", datetime(2018, 3, 6)
    onset, reset = at(b, 13, 5), at(b, 13, 56, 10)
    b.stuck(onset, reset, "Timer_ReqQueue", "POST", ["/claims/submit.aspx", "/claims/status.aspx", "/claims/"], "-",
            "ClaimsPool", "2", (8, 22))
    kill = reset + timedelta(seconds=90)
    b.abandoned(kill, 52, "POST", "/claims/submit.aspx", "ClaimsPool", "2", 30)
    b.idle(at(b, 11), 5, (10, 40))
    b.write_httperr()
    b.systeminfo()
    b.events("system-events.txt", "System", [
        (reset, SCM, 7036, "Information", "The World Wide Web Publishing Service service entered the stopped state."),
        (kill, WAS, 5013, "Warning", "A process serving application pool 'ClaimsPool' exceeded time limits during shut down. "
                                    "The process id was '6120'."),
        (kill + timedelta(seconds=9), SCM, 7036, "Information", "The World Wide Web Publishing Service service entered the running state."),
    ])
    b.expected("queue-not-draining", "The claims application's threads all block on a stuck database call: requests wait in "
               "ClaimsPool's queue until HTTP.sys times them out (Timer_ReqQueue) for 50 minutes; the administrator's "
               "iisreset ends it, and the hung worker overruns its shutdown time (WAS 5013) with the queued requests abandoned.",
               [], [], origin={
                   "url": "https://learn.microsoft.com/en-us/troubleshoot/developer/webapps/iis/health-diagnostic-performance/application-pool-exceed-time-limits",
                   "title": "An application pool exceeds time limits during shutdown in IIS (KB 2634635), with LeanSentry's "
                            "'How to fix IIS website hangs'",
                   "resolution": "The 5013 event only says the hung application could not shut down in time when it was "
                                 "reset; the hang itself (blocked application threads, requests queueing) is the problem "
                                 "to diagnose with dumps taken during the hang."})


def wsus_private_bytes_rapid_fail(b: Bundle) -> None:
    b.os, b.day, b.ram_mb = "2012r2", datetime(2017, 5, 8), 8192
    recycles = [at(b, 8, 2), at(b, 8, 31), at(b, 8, 52), at(b, 9, 9), at(b, 9, 21), at(b, 9, 32, 42)]
    disabled = at(b, 9, 33, 42)
    t = disabled + timedelta(seconds=3)
    while t < at(b, 12, 30):
        b.err(t, "AppOffline", "POST", b.rng.choice(["/SimpleAuthWebService/SimpleAuth.asmx", "/ClientWebService/Client.asmx"]),
              "503", "WsusPool", "HTTP/1.1", "707060612")
        t += timedelta(seconds=b.rng.randint(6, 20))
    b.idle(at(b, 6), 7, (15, 60))
    b.write_httperr()
    b.systeminfo()
    b.app_host_config("WsusPool", queue_length=1000, private_memory_kb=1_843_200)
    items = [(r, WAS, 5117, "Information", "A worker process serving application pool 'WsusPool' has requested a recycle "
                                           "because it reached its private bytes memory limit.") for r in recycles]
    items.append((disabled, WAS, 5002, "Error", "Application pool 'WsusPool' is being automatically disabled due to a series "
                                                "of failures in the process(es) serving that application pool."))
    b.events("system-events.txt", "System", items)
    b.expected("app-pool-memory-limit", "WSUS: WsusPool keeps reaching its 1.8 GB private memory limit (WAS 5117) and, "
               "recycled again and again, is disabled by rapid-fail protection (WAS 5002); clients get 503 AppOffline. "
               "No worker crashed.", ["app-pool-rapid-fail"], ["app-pool-rapid-fail"], origin={
                   "url": "https://saotn.org/posts/wsuspool-keeps-crashing-stops",
                   "title": "WsusPool keeps crashing: stops again and again (saotn.org, 2017), with 'WSUS ... HTTP 503' "
                            "(sccm2012.wordpress.com) and real WAS 5117/5002 events (technology-toolbox Notebook)",
                   "resolution": "The WSUS metadata cache makes w3wp exceed the pool's default private memory limit "
                                 "(1,843,200 KB); raise the limit (or set it to 0) and the queue length, then start WsusPool."})


def wsus_recycling_high_cpu(b: Bundle) -> None:
    b.os, b.day, b.ram_mb = "2012r2", datetime(2017, 8, 9), 16384
    recycles, t = [], at(b, 8, 6)
    while t < at(b, 12, 30):
        recycles.append(t)
        t += timedelta(minutes=b.rng.randint(14, 24))
    for r in recycles:
        b.abandoned(r + timedelta(seconds=90), b.rng.randint(6, 15), "POST", "/ClientWebService/Client.asmx", "WsusPool", "1", 60)
    b.idle(at(b, 7), 6, (10, 45))
    b.write_httperr()
    b.systeminfo()
    b.app_host_config("WsusPool", queue_length=2000, private_memory_kb=1_843_200)
    b.events("system-events.txt", "System", [
        (r, WAS, 5117, "Information", f"A worker process serving application pool 'WsusPool' has requested a recycle because "
                                      "it reached its private bytes memory limit.") for r in recycles])
    rows, t = [], at(b, 7, 30)
    while t <= at(b, 12, 30):
        rows.append((t, [round(b.rng.uniform(70, 100) if t >= at(b, 8) else b.rng.uniform(10, 30), 6)]))
        t += timedelta(minutes=2)
    b.typeperf(["Processor(_Total)\\% Processor Time"], rows)
    b.expected("app-pool-memory-limit", "Patch Tuesday on a software update point: w3wp for WsusPool climbs to its private "
               "memory limit every 15-25 minutes (WAS 5117), each recycle abandons the scans in flight, CPU sits at 70-100%.",
               [], [], origin={
                   "url": "https://blogs.technet.microsoft.com/configurationmgr/2017/08/18/high-cpuhigh-memory-in-wsus-following-update-tuesdays/",
                   "title": "High CPU/High Memory in WSUS following Update Tuesdays (Configuration Manager team blog, 2017)",
                   "resolution": "Large update metadata drives w3wp's memory to the pool's private memory limit and it "
                                 "recycles constantly; decline superseded updates, install the WSUS update, and raise the "
                                 "WsusPool private memory limit."})


def leak_tag_before_refusals(b: Bundle) -> None:
    b.os, b.arch, b.ram_mb, b.day = "2003", "x86", 4095, datetime(2014, 6, 16)
    b.idle(at(b, 5), 8)
    b.refusals(at(b, 11, 41, 3), at(b, 12, 30), 1, 6)
    b.write_httperr("1.0")
    b.systeminfo()
    b.boot_ini("/fastdetect /NoExecute=OptOut")
    base = [("Irp ", "Nonp", 5_242_880), ("TCPt", "Nonp", 4_194_304), ("UlHT", "Nonp", 3_145_728), ("Thre", "Nonp", 1_572_864),
            ("MmCm", "Nonp", 7_340_032), ("File", "Paged", 9_437_184)]
    for name, pool_kb, leaked in (("poolmon-0600.txt", 110_000, 62_914_560), ("poolmon-0900.txt", 168_000, 121_634_816),
                                  ("poolmon-1200.txt", 242_000, 197_132_288)):
        b.poolmon(name, pool_kb, base + [("BLFP", "Nonp", leaked)])
    b.events_2003("system-events.txt", [(at(b, 11, m), "Srv", 2019, "Error", "The server was unable to allocate from the "
                                         "system nonpaged pool because the pool was empty.") for m in (48, 55)]
                  + [(at(b, 12, 5), "Srv", 2019, "Error", "The server was unable to allocate from the system nonpaged pool "
                                                          "because the pool was empty.")])
    b.expected("pool-leak-driver", "x86 Server 2003: a third-party filter driver's pool tag grows all morning across three "
               "PoolMon captures until non-paged pool runs out; Srv 2019 events and IIS refusing connections follow.",
               ["nonpaged-pool-exhausted"], ["nonpaged-pool-exhausted"], origin={
                   "url": "https://asifkhandevadi.wordpress.com/2014/07/19/troubleshooting-non-paged-pool-memory-leak-event-id-2019-using-poolmon/",
                   "title": "Troubleshooting non-paged pool memory leak event id 2019 using poolmon (2014)",
                   "resolution": "PoolMon sorted by bytes showed one tag leaking; the tag led to a third-party driver, "
                                 "which was the cause (update or remove that driver)."})


def timer_minbytes_slow_client(b: Bundle) -> None:
    b.os, b.day = "2012r2", datetime(2020, 7, 26)
    slow_client = "10.123.12.12"
    t = at(b, 14, 9, 1)
    while t < at(b, 15, 40):
        b.err(t, "Timer_MinBytesPerSecond", client=slow_client)
        t += timedelta(seconds=b.rng.choice((0, 25, 25, 35, 60, 90)))
    b.idle(at(b, 12), 5, (10, 40))
    b.write_httperr()
    b.systeminfo()
    rows = b.traffic(at(b, 13), 180, lambda t: b.rng.randint(15, 30), ["/", "/reports/list.aspx", "/reports/export.aspx"])
    b.iis(rows, "8.5")
    b.expected("slow-clients", "Users behind one office link report a slow site: HTTP.sys keeps cutting their responses "
               "(Timer_MinBytesPerSecond) because their side takes the data slower than 240 bytes a second.", [], [], origin={
                   "url": "https://port135.com/2020/08/01/slow-response-times-timer-minbytespersecond/",
                   "title": "Slow response times and Timer_MinBytesPerSecond in HTTP.SYS logs (port135.com / IIS Support Blog, 2020)",
                   "resolution": "The client was not receiving the response at a reasonable speed; HTTP.sys terminated "
                                 "connections under minBytesPerSecond. Fix the client side or its network (or relax "
                                 "minBytesPerSecond knowingly)."})


def abandoned_db_crashes(b: Bundle) -> None:
    b.os, b.arch, b.ram_mb, b.day = "2003", "x86", 2047, datetime(2005, 11, 14)
    crashes = [at(b, 9, 17), at(b, 10, 2), at(b, 11, 40), at(b, 14, 8), at(b, 15, 51)]
    for c in crashes:
        for i in range(b.rng.randint(5, 14)):
            b.err(c + timedelta(milliseconds=150 * i), "Connection_Abandoned_By_AppPool", "GET", "/realtime/data.asp", "-",
                  "RealtimePool", "HTTP/1.1", "1")
    b.idle(at(b, 8), 9)
    b.write_httperr("1.0")
    b.systeminfo()
    b.boot_ini("/fastdetect /NoExecute=OptOut")
    b.events_2003("system-events.txt", [
        (c - timedelta(seconds=1), "W3SVC", 1011, "Warning", "A process serving application pool 'RealtimePool' suffered a "
         f"fatal communication error with the World Wide Web Publishing Service. The process id was '{2200 + i}'. "
         "The data field contains the error number.") for i, c in enumerate(crashes)])
    b.expected("worker-process-failure", "IIS 6: the application crashes its worker whenever the real-time database does "
               "not answer in time, and the requests it held are logged as Connection_Abandoned_By_AppPool.", [], [], origin={
                   "url": "https://blogs.msdn.microsoft.com/david.wang/2005/11/16/thoughts-on-connection_abandoned_by_apppool/",
                   "title": "Thoughts on Connection_Abandoned_By_AppPool (David Wang, 2005)",
                   "resolution": "The entries are a symptom of the application crashing when the database does not "
                                 "respond; fix the application's handling of that (and the database), nothing to "
                                 "configure in IIS hides it."})


def queuefull_iis6_long_requests(b: Bundle) -> None:
    b.os, b.arch, b.ram_mb, b.day = "2003", "x86", 4095, datetime(2008, 6, 26)
    t = at(b, 10, 12)
    while t < at(b, 10, 51):
        b.err(t, "QueueFull", "GET", b.rng.choice(["/quotes/search.aspx", "/quotes/", "/quotes/detail.aspx"]), "503", "QuotesPool",
              "HTTP/1.1", "1")
        t += timedelta(seconds=b.rng.randint(1, 4))
    b.idle(at(b, 8), 5)
    b.write_httperr("1.0")
    b.systeminfo()
    b.boot_ini("/fastdetect /NoExecute=OptOut")
    rows, t = [], at(b, 9, 30)
    while t <= at(b, 11, 30):
        busy = at(b, 10, 10) <= t < at(b, 10, 52)
        rows.append((t, [4000 if busy else b.rng.randint(200, 1800), round(b.rng.uniform(88, 99) if busy else b.rng.uniform(45, 70), 6)]))
        t += timedelta(minutes=1)
    b.typeperf(["HTTP Service Request Queues(QuotesPool)\\CurrentQueueSize", "Processor(_Total)\\% Processor Time"], rows)
    b.expected("request-queue-full", "IIS 6 quotes site at the morning peak: long-running searches keep more than the "
               "default 4,000 requests in the pool with the CPU busy, and HTTP.sys answers the rest with 503 QueueFull.",
               [], [], origin={
                   "url": "https://support.microsoft.com/pt-br/help/816995/error-message-if-the-apppoolqueuelength-value-is-too-low-http-503-service-unavailable",
                   "title": "Error message if the AppPoolQueueLength value is too low: HTTP 503 Service Unavailable (KB 816995)",
                   "resolution": "With long-running requests the default of 4,000 queued requests is not enough; raise "
                                 "AppPoolQueueLength (and test it), Httperr.log shows 503 QueueFull."})


def real_logjoint_workstation(b: Bundle) -> None:
    real_excerpt("httperr_logjoint_smoketest.log", "httperr1.log")(b)
    b.expected("idle-connections-benign", "A real HTTPERR file from a developer's machine (published as a test input): "
               "idle keep-alive expiries, one UPnP NOTIFY abandoned by its queue, and HTTP.sys 404s for an unbound "
               "name; no incident.", ["client-disconnects-benign"], healthy=True, origin={
                   "url": "https://github.com/sergey-su/logjoint (trunk/tests/model/ReadersIntegrationTests.cs, HTTPERR_SmokeTest)",
                   "title": "Real HTTPERR lines kept as a log-reader test input (no incident reported)",
                   "resolution": "Background noise of a working machine; nothing to fix."})


CASES = [
    ("refused-av-leak-3gb", "WEB11", refused_av_leak_3gb), ("refused-leak-x64-perfmon", "WEB12", refused_leak_x64),
    ("refused-connection-load", "CHAT01", refused_connection_load), ("refused-increaseuserva", "WEB13", refused_increaseuserva),
    ("dropped-under-load", "SHOP01", dropped_under_load), ("dropped-report-page", "PORTAL01", dropped_app_one_url),
    ("dropped-answers-peak", "WEB14", dropped_answers_load), ("rapid-fail-crashes", "ORDERS01", rapid_fail),
    ("pool-stopped-script", "HR01", pool_stopped), ("cpu-limit-iis6", "REPORTS01", cpu_limit),
    ("queue-full-burst", "API01", queue_full), ("queue-hung-worker", "SEARCH01", queue_not_draining),
    ("worker-crash-abandoned", "ORDERS02", worker_crash_abandoned), ("site-connection-limit", "TIMESHEET01", site_connection_limit),
    ("header-kerberos-bloat", "SP01", header_too_large), ("urlacl-conflict", "WEB15", url_reservation_conflict),
    ("scanner-probes", "EDGE01", scanner_parse_errors), ("slow-mobile-downloads", "FILES01", slow_clients),
    ("slowloris-waves", "EDGE02", slowloris), ("lb-probe-resets", "APP01", dropped_list_full),
    ("idle-noise-only", "WWW01", idle_only), ("client-resets-quiet", "INTRA01", client_resets),
    ("notfound-old-binding", "WEB16", notfound_binding), ("httpsys-internal", "WEB17", internal_errors),
    ("real-fieldlength-ms", "WEB18", real_fieldlength), ("real-refused-2005", "WEB19", real_refused_2005),
    ("real-wcf-min-send-rate", "WCF01", real_wcf_min_send_rate),
    ("healthy-idle-url-scans", "WEB20", healthy_idle_url_scans), ("healthy-dropped-midload", "WEB21", healthy_dropped_midload),
    ("longpoll-activesync-ping", "CAS01", longpoll_activesync_ping),
    ("hang-queuefull-admin-recycle", "PORTAL02", hang_queuefull_admin_recycle),
    ("hang-reqqueue-iisreset", "CLAIMS01", hang_reqqueue_iisreset),
    ("wsus-private-bytes-rapid-fail", "WSUS01", wsus_private_bytes_rapid_fail),
    ("wsus-recycling-high-cpu", "SUP01", wsus_recycling_high_cpu), ("leak-tag-before-refusals", "APP03", leak_tag_before_refusals),
    ("timer-minbytes-slow-client", "WEB22", timer_minbytes_slow_client), ("abandoned-db-crashes", "RT01", abandoned_db_crashes),
    ("queuefull-iis6-long-requests", "QUOTES01", queuefull_iis6_long_requests),
    ("real-logjoint-workstation", "DEV01", real_logjoint_workstation),
    ("urlacl-agent-api", "WEB23", urlacl_agent_api), ("urlacl-normal-pool-empty", "WEB24", urlacl_normal_pool_empty),
    ("iplisten-cloned-server", "PORTAL03", iplisten_cloned_server),
]


def main() -> None:
    import stories
    import stories_503
    import stories_crash
    import stories_kernel
    import stories_requests

    for name, host, build in (CASES + stories.STORIES + stories_503.STORIES + stories_kernel.STORIES + stories_requests.STORIES
                              + stories_crash.STORIES):
        folder = HERE / name
        if folder.exists():
            shutil.rmtree(folder)
        build(Bundle(name, random.Random(f"{name}:{host}"), host))


if __name__ == "__main__":
    main()
