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
CRLF = "\r\n"
HTTPERR_FIELDS = "date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename"
IIS_FIELDS = ("date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
              "sc-status sc-substatus sc-win32-status time-taken")
UA = "Mozilla/5.0+(Windows+NT+6.1;+WOW64;+Trident/7.0;+rv:11.0)+like+Gecko"
OS = {
    "2003": ("Microsoft(R) Windows(R) Server 2003, Enterprise Edition", "5.2.3790 Service Pack 2 Build 3790"),
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
            queue: str = "-", version: str = "-", site: str = "-", client: str | None = None) -> None:
        self.httperr.append((t, f"{t:%Y-%m-%d %H:%M:%S} {client or self.client()} {self.rng.randint(1025, 65500)} "
                                f"{self.ip} 80 {version} {method} {uri} {status} {site} {reason} {queue}"))

    def refused(self, t: datetime, n: int) -> None:
        self.httperr.append((t, f"{t:%Y-%m-%d %H:%M:%S} - - - - - - - - - {n}_Connections_Refused -"))

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
            method = "POST" if url.endswith((".asmx", ".svc", "/upload")) else "GET"
            lines.append(f"{t:%Y-%m-%d %H:%M:%S} {self.ip} {method} {url} - 80 - {self.client()} {UA} "
                         f"{status} 0 {win32} {taken}")
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
        boot_label = "System Up Time:" if self.os == "2003" else "System Boot Time:"
        boot_value = "6 Days, 2 Hours, 11 Minutes, 40 Seconds" if self.os == "2003" else f"{self.day - timedelta(days=6):%m/%d/%Y}, 4:12:40 AM"
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
                      "Description:", message, ""]
        write(self.out / name, lines)

    # ---- configuration and state
    def app_host_config(self, pool: str, queue_length: int | None = None, rapid_fail: bool = True,
                        max_connections: int | None = None, web_limits: str = "") -> None:
        queue = f' queueLength="{queue_length}"' if queue_length else ""
        failure = "" if rapid_fail else '\n                <failure rapidFailProtection="false" />'
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

    def reg_http(self, values: dict[str, int]) -> None:
        lines = ["", "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters",
                 "    EnableErrorLogging    REG_DWORD    0x1",
                 "    ErrorLoggingDir    REG_EXPAND_SZ    %SystemRoot%\\System32\\LogFiles"]
        lines += [f"    {k}    REG_DWORD    {v:#x}" for k, v in values.items()]
        write(self.out / "reg-http-parameters.txt", lines + [""])

    def expected(self, top: str, description: str, acceptable: list[str] = (), top3: list[str] = (),
                 answers: dict | None = None) -> None:
        data = {"description": description, "top": top, "acceptable_top": list(acceptable), "top3": list(top3)}
        if answers:
            data["answers"] = answers
        (self.out / "expected.yaml").write_text(yaml.safe_dump(data, sort_keys=False, width=100), encoding="utf-8")


def at(b: Bundle, h: int, m: int = 0, s: int = 0) -> datetime:
    return b.day.replace(hour=h, minute=m, second=s)


# ---------------------------------------------------------------- kernel memory
def refused_av_leak_3gb(b: Bundle) -> None:
    b.os, b.arch, b.ram_mb = "2003", "x86", 4095
    b.idle(at(b, 8), 9)
    t = at(b, 16, 40, 2)
    while t < at(b, 17, 5):
        b.refused(t, b.rng.randint(2, 6))
        t += timedelta(seconds=5)
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
    t = at(b, 14, 2)
    while t < at(b, 14, 20):
        b.refused(t, b.rng.randint(8, 30))
        t += timedelta(seconds=5)
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
               "user complaint was about their own proxy.", [], [])


def client_resets(b: Bundle) -> None:
    for i in range(70):
        b.err(at(b, 8) + timedelta(minutes=b.rng.randint(0, 480)), "Client_Reset", "GET", "/", "-", "-", "HTTP/1.1", "-")
    b.write_httperr()
    b.systeminfo()
    b.expected("client-disconnects-benign", "A short HTTPERR file from a quiet intranet server: a handful of users "
               "closing their browsers before the page came back.", ["idle-connections-benign"], [])


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
]


def main() -> None:
    for name, host, build in CASES:
        folder = HERE / name
        if folder.exists():
            shutil.rmtree(folder)
        build(Bundle(name, random.Random(f"{name}:{host}"), host))


if __name__ == "__main__":
    main()
