"""Rebuild the example evidence bundles (fixed seed, so the files never drift).

The bundles reconstruct the two source articles (shared/seeds) in the formats
Windows really writes; host names, addresses and the pool tag are made up here.
Run: python examples/generate.py
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
CRLF = "\r\n"


def write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(CRLF.join(lines + [""]).encode("utf-8"))


def httperr_header(stamp: str, api: str = "1.0") -> list[str]:
    return [
        f"#Software: Microsoft HTTP API {api}",
        "#Version: 1.0",
        f"#Date: {stamp}",
        "#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename",
    ]


def iis6_header(stamp: str) -> list[str]:
    return [
        "#Software: Microsoft Internet Information Services 6.0",
        "#Version: 1.0",
        f"#Date: {stamp}",
        "#Fields: date time s-sitename s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
        "cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken",
    ]


def systeminfo(host: str, ram: str, booted: str) -> list[str]:
    return [
        "",
        f"Host Name:                 {host}",
        "OS Name:                   Microsoft(R) Windows(R) Server 2003, Enterprise Edition",
        "OS Version:                5.2.3790 Service Pack 2 Build 3790",
        "OS Manufacturer:           Microsoft Corporation",
        "OS Configuration:          Member Server",
        "OS Build Type:             Multiprocessor Free",
        "Registered Owner:          Operations",
        "Registered Organization:   Contoso",
        "Product ID:                69713-640-4031427-45876",
        "Original Install Date:     3/14/2006, 10:12:44 AM",
        f"System Up Time:            {booted}",
        "System Manufacturer:       HP",
        "System Model:              ProLiant DL380 G4",
        "System Type:               X86-based PC",
        "Processor(s):              2 Processor(s) Installed.",
        "                           [01]: x86 Family 15 Model 4 Stepping 3 GenuineIntel ~3400 Mhz",
        "                           [02]: x86 Family 15 Model 4 Stepping 3 GenuineIntel ~3400 Mhz",
        "BIOS Version:              COMPAQ - 2",
        "Windows Directory:         C:\\WINDOWS",
        "System Directory:          C:\\WINDOWS\\system32",
        "Boot Device:               \\Device\\HarddiskVolume1",
        "System Locale:             en-us;English (United States)",
        "Input Locale:              en-us;English (United States)",
        "Time Zone:                 (GMT-06:00) Central Time (US & Canada)",
        f"Total Physical Memory:     {ram}",
        "Available Physical Memory: 1,208 MB",
        "Page File: Max Size:       5,940 MB",
        "Page File: Available:      4,110 MB",
        "Page File: In Use:         1,830 MB",
        "Page File Location(s):     C:\\pagefile.sys",
        "Domain:                    corp.contoso.com",
        "Logon Server:              \\\\DC01",
        "Hotfix(s):                 3 Hotfix(s) Installed.",
        "                           [01]: File 1",
        "                           [02]: KB925902",
        "                           [03]: KB937143",
        "Network Card(s):           1 NIC(s) Installed.",
        "                           [01]: HP NC7782 Gigabit Server Adapter",
        "                                 Connection Name: Local Area Connection",
        "                                 DHCP Enabled:    No",
        "                                 IP address(es)",
        "                                 [01]: 10.20.1.15",
    ]


def boot_ini(switches: str) -> list[str]:
    return [
        "[boot loader]",
        "timeout=30",
        "default=multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS",
        "[operating systems]",
        f'multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS="Windows Server 2003, Enterprise" {switches}',
        'C:\\CMDCONS\\BOOTSECT.DAT="Microsoft Windows Recovery Console" /cmdcons',
    ]


def connections_refused(rng: random.Random) -> None:
    out = HERE / "connections-refused"
    # HTTPERR: ordinary noise during the day, then counted refusals every five seconds.
    lines = httperr_header("2007-11-13 14:02:11")
    t = datetime(2007, 11, 13, 14, 2, 11)
    while t < datetime(2007, 11, 13, 20, 1, 30):
        client = f"10.20.{rng.randint(2, 40)}.{rng.randint(2, 250)}"
        lines.append(f"{t:%Y-%m-%d %H:%M:%S} {client} {rng.randint(1025, 65000)} 10.20.1.15 80 - - - - - Timer_ConnectionIdle -")
        t += timedelta(seconds=rng.randint(40, 260))
    t = datetime(2007, 11, 13, 20, 1, 44)
    while t <= datetime(2007, 11, 13, 20, 31, 59):
        lines.append(f"{t:%Y-%m-%d %H:%M:%S} - - - - - - - - - {rng.choice((3, 4, 3, 4, 5, 2))}_Connections_Refused -")
        t += timedelta(seconds=5)
    write(out / "HTTPERR" / "httperr3.log", lines)

    # IIS log: normal traffic that stops when http.sys stops accepting connections.
    lines = iis6_header("2007-11-13 18:00:02")
    t = datetime(2007, 11, 13, 18, 0, 2)
    pages = ["/default.aspx", "/Orders/List.aspx", "/Orders/Detail.aspx", "/images/logo.gif", "/css/site.css"]
    while t < datetime(2007, 11, 13, 20, 1, 40):
        client = f"10.20.{rng.randint(2, 40)}.{rng.randint(2, 250)}"
        page = rng.choice(pages)
        lines.append(f"{t:%Y-%m-%d %H:%M:%S} W3SVC1 10.20.1.15 GET {page} - 80 - {client} "
                     f"Mozilla/4.0+(compatible;+MSIE+6.0;+Windows+NT+5.1) 200 0 0 {rng.randint(15, 900)}")
        t += timedelta(seconds=rng.randint(1, 4))
    write(out / "W3SVC1" / "ex071113.log", lines)

    write(out / "boot.ini", boot_ini("/fastdetect /3GB"))
    write(out / "systeminfo.txt", systeminfo("WEB01", "4,095 MB", "0 Days, 19 Hours, 42 Minutes, 8 Seconds"))

    # poolmon -b: 109 MB non-paged in use, one antivirus filter tag holding 69 MB.
    tags = [
        ("AvSc", "Nonp", 912034, 210511, 72351744),
        ("MmCm", "Nonp", 10512, 9321, 6553600),
        ("Irp ", "Nonp", 99812374, 99790114, 4194304),
        ("TCPt", "Nonp", 5512311, 5501290, 3407872),
        ("UlHT", "Nonp", 881234, 879001, 2752512),
        ("File", "Paged", 123987211, 123901133, 9437184),
        ("Thre", "Nonp", 112344, 111210, 1468006),
        ("NtFs", "Paged", 45123312, 45087234, 7340032),
        ("Even", "Nonp", 34521223, 34499123, 1153433),
        ("AfdE", "Nonp", 4412341, 4410021, 786432),
    ]
    lines = [
        " Memory: 4193784K Avail: 1237012K  PageFlts:  1542   InRam Krnl: 5632K P:112340K",
        " Commit:2062116K Limit:6241588K Peak:2415132K            Pool N:111616K P:98304K",
        " System pool information",
        " Tag  Type     Allocs            Frees            Diff   Bytes       Per Alloc",
        "",
    ]
    for tag, kind, allocs, frees, size in sorted(tags, key=lambda t: -t[4]):
        diff = allocs - frees
        lines.append(f" {tag} {kind:<5} {allocs:>10} ({rng.randint(0, 40):>4}) {frees:>10} ({rng.randint(0, 40):>4}) "
                     f"{diff:>8} {size:>9} ({rng.choice((0, 0, 1536, 4096)):>5}) {size // max(diff, 1):>6}")
    write(out / "poolmon-b.txt", lines)

    # typeperf of the morning before: the pool climbs until less than 20 MB of the
    # 128 MB ceiling is left (local Central Standard Time; bias 360 minutes).
    lines = ['"(PDH-CSV 4.0) (Central Standard Time)(360)","\\\\WEB01\\Memory\\Pool Nonpaged Bytes",'
             '"\\\\WEB01\\Processor(_Total)\\% Processor Time"']
    t, used = datetime(2007, 11, 13, 8, 0, 0, 312_000), 78.0
    while t <= datetime(2007, 11, 13, 14, 30):
        used = min(used + rng.uniform(0.05, 0.12), 109.4)
        lines.append(f'"{t:%m/%d/%Y %H:%M:%S}.{t.microsecond // 1000:03d}","{int(used * 1024 * 1024)}","{rng.uniform(4, 22):.6f}"')
        t += timedelta(minutes=1)
    write(out / "npp-typeperf.csv", lines)


def connection_dropped(rng: random.Random) -> None:
    out = HERE / "connection-dropped"
    start, peak_from, peak_to, end = (datetime(2007, 1, 1, 22, 30), datetime(2007, 1, 1, 23, 38),
                                      datetime(2007, 1, 1, 23, 50), datetime(2007, 1, 2, 0, 20))
    urls = ["/URL/Page", "/URL/Page", "/URL/Page", "/URL/Search", "/URL/Checkout"]
    requests, drops = [], []
    t = start
    while t < end:
        busy = peak_from <= t < peak_to
        for _ in range(rng.randint(5, 8) if busy else 1):
            url = rng.choice(urls + ["/default.asp", "/images/banner.gif"])
            slow = busy and url.startswith("/URL/") and rng.random() < 0.5
            taken = rng.randint(95_000, 125_000) if slow else rng.randint(20, 1_500)
            status, win32 = ("200", "64") if slow and rng.random() < 0.3 else ("200", "0")
            requests.append((t, url, status, win32, taken))
            if slow and taken > 118_000:
                drops.append((t + timedelta(milliseconds=taken), url))
        t += timedelta(seconds=rng.choice((1, 1, 2)) if busy else rng.randint(1, 2))
    lines = iis6_header(f"{start:%Y-%m-%d %H:%M:%S}")
    for t, url, status, win32, taken in requests:
        client = f"192.168.{rng.randint(1, 30)}.{rng.randint(2, 250)}"
        method = "POST" if url.startswith("/URL/") else "GET"
        lines.append(f"{t:%Y-%m-%d %H:%M:%S} W3SVC1 10.0.0.10 {method} {url} - 80 - {client} "
                     f"Mozilla/4.0+(compatible;+MSIE+7.0;+Windows+NT+5.1) {status} 0 {win32} {taken}")
    write(out / "W3SVC1" / "ex070101.log", lines)

    lines = httperr_header(f"{start:%Y-%m-%d %H:%M:%S}")
    noise = [(start + timedelta(seconds=rng.randint(0, 6600)), None) for _ in range(25)]
    for t, url in sorted(drops + noise, key=lambda item: item[0]):
        client = f"192.168.{rng.randint(1, 30)}.{rng.randint(2, 250)} {rng.randint(1025, 65000)}"
        if url is None:
            lines.append(f"{t:%Y-%m-%d %H:%M:%S} {client} 10.0.0.10 80 - - - - - Timer_ConnectionIdle -")
        else:
            lines.append(f"{t:%Y-%m-%d %H:%M:%S} {client} 10.0.0.10 80 HTTP/1.0 POST {url} - 1 Connection_Dropped DefaultAppPool")
    write(out / "HTTPERR" / "httperr1.log", lines)
    write(out / "boot.ini", boot_ini("/fastdetect /NoExecute=OptOut"))
    write(out / "systeminfo.txt", systeminfo("WEB02", "2,047 MB", "12 Days, 3 Hours, 11 Minutes, 52 Seconds"))


if __name__ == "__main__":
    connections_refused(random.Random(20071113))
    connection_dropped(random.Random(20070101))
