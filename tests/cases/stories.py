"""Published troubleshooting stories rebuilt as case bundles (run through generate.py).

Each builder writes what the help desk would have collected on the story's server, in the
formats Windows writes, and the expectation taken from the story's own resolution
(`origin`), written before the tool was run on the bundle. Only the story's facts are
kept (versions, phrases, events, settings, who was in front of the server); names,
addresses and exact counts are made up around them.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from generate import WAS, Bundle, at, write

HTTPERR_FIELDS = "date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename"


def raw_httperr(b: Bundle, lines: list[str], api: str = "2.0") -> None:
    """An HTTPERR file holding the lines exactly as given (for layouts Bundle.err cannot write)."""
    first = lines[0][:19]
    write(b.out / "HTTPERR" / "httperr1.log",
          [f"#Software: Microsoft HTTP API {api}", "#Version: 1.0", f"#Date: {first}", f"#Fields: {HTTPERR_FIELDS}"] + lines)


def urlacl_plus80_localhost(b: Bundle) -> None:
    b.day = datetime(2010, 2, 17)
    lines = []
    t = at(b, 17, 28, 47)
    for _ in range(6):
        lines.append(f"{t:%Y-%m-%d %H:%M:%S} ::1%0 {b.rng.randint(49152, 65000)} ::1%0 80 HTTP/1.1 GET / 503 - N/A -")
        t += timedelta(seconds=b.rng.randint(4, 40))
    raw_httperr(b, lines)
    b.events("system-events.txt", "System", [
        (at(b, 9, 26, 44), "Microsoft-Windows-HttpEvent", 15007, "Information",
         "Reservation for namespace identified by URL prefix http://+:80/ was successfully added.")])
    b.expected("url-reservation-conflict", "A new Windows 7 machine with IIS 7: browsing localhost gets 503 and HTTPERR "
               "logs '503 - N/A -'; W3SVC, the site and its pool are all started, no w3wp runs, no WAS event, nothing in the "
               "IIS log; the System log shows a URL reservation for http://+:80/ added two minutes before.", [], [], origin={
                   "url": "https://techcommunity.microsoft.com/t5/iis-support-blog/a-not-so-common-root-cause-for-503-service-unavailable/ba-p/347268",
                   "title": "A Not So Common Root Cause for 503 Service Unavailable (IIS Support Blog, 2010, reposted 2019)",
                   "resolution": "A URL reservation for http://+:80/ (HttpEvent 15007) took the namespace IIS serves, so "
                                 "HTTP.sys answered 503 N/A; deleting that reservation with netsh http delete urlacl "
                                 "brought the site back."})


def owa_3gb_refused(b: Bundle) -> None:
    b.os, b.arch, b.ram_mb, b.day = "2003", "x86", 4095, datetime(2007, 4, 23)
    b.idle(at(b, 7), 6)
    b.refusals(at(b, 11, 52, 4), at(b, 12, 31), 1, 9)
    b.write_httperr("1.0")
    b.systeminfo()
    b.boot_ini("/fastdetect /3GB /USERVA=3030 /NoExecute=OptOut")
    urls = ["/exchange/", "/exchweb/bin/auth/owaauth.dll", "/exchange/user01/Inbox/", "/exchweb/img/logo.gif"]
    rows = [row for row in b.traffic(at(b, 10), 110, lambda t: b.rng.randint(40, 70), urls) if row[0] < at(b, 11, 52)]
    b.iis(rows, "6.0")
    b.reg_http({})
    b.expected("nonpaged-pool-exhausted", "Exchange 2003 on IIS 6 (x86, /3GB /USERVA=3030 as Exchange recommends): "
               "Outlook Web Access users get 'The page cannot be displayed' and HTTPERR fills with counted "
               "Connections_Refused lines; the IIS log simply stops.", ["boot-3gb-switch"], [], origin={
                   "url": "http://support.microsoft.com/kb/934878",
                   "title": "KB 934878: 'The page cannot be displayed' and Connections_refused in Httperr.log on Windows "
                            "Server 2003 with Exchange 2003 and IIS 6.0",
                   "resolution": "Free non-paged pool fell under the 20 MB below which http.sys stops accepting "
                                 "connections (made likely by /3GB); work around it with EnableAggressiveMemoryUsage, "
                                 "which lowers that floor to 8 MB."})


def remove_3gb_kb933844(b: Bundle) -> None:
    b.os, b.arch, b.ram_mb, b.day = "2003", "x86", 4095, datetime(2007, 9, 18)
    b.idle(at(b, 6), 9)
    t = at(b, 14, 3, 12)
    while t < at(b, 14, 47):
        b.refused(t, b.rng.choice((1, 1, 2, 3, 5, 8, 13, 24)))
        t += timedelta(seconds=5)
    b.write_httperr("1.0")
    b.systeminfo()
    b.boot_ini("/fastdetect /3GB /NoExecute=OptOut")
    b.expected("boot-3gb-switch", "An IIS 6 web server (x86, 4 GB) started with /3GB: browsers get 'Page cannot be "
               "displayed' and HTTPERR logs '1_Connections_Refused' ... '24_Connections_Refused'.",
               ["nonpaged-pool-exhausted"], [], origin={
                   "url": "https://www.betaarchive.com/wiki/index.php?title=Microsoft_KB_Archive/933844",
                   "title": "KB 933844: Connections_Refused in Httperr.log when non-paged pool is no longer sufficient (IIS 6.0)",
                   "resolution": "Non-paged pool ran short of what http.sys needs to take new connections; method 1 is "
                                 "to remove the /3GB switch from boot.ini when the server does not need it."})


def myfault_leak_tag(b: Bundle) -> None:
    b.os, b.arch, b.ram_mb, b.day = "2008r2", "x64", 4096, datetime(2012, 2, 27)
    b.idle(at(b, 8), 7)
    t = at(b, 14, 20, 5)
    while t < at(b, 14, 58):
        b.refused(t, b.rng.randint(1, 12))
        t += timedelta(seconds=b.rng.choice((5, 5, 10)))
    b.write_httperr()
    b.systeminfo()
    b.poolmon("poolmon-b.txt", 3_030_000, [("Leak", "Nonp", 2_986_344_448), ("Irp ", "Nonp", 9_437_184), ("TcpE", "Nonp", 7_340_032),
                                          ("File", "Nonp", 5_242_880), ("Even", "Nonp", 3_145_728), ("MmCa", "Nonp", 2_621_440)])
    b.expected("pool-leak-driver", "Server 2008 R2 x64: http.sys refuses connections (counted Connections_Refused) and "
               "poolmon -b shows one tag, 'Leak', holding nearly all of the non-paged pool.", ["nonpaged-pool-exhausted"], [],
               origin={
                   "url": "https://blogs.msdn.microsoft.com/amol/2012/02/29/troubleshooting-connections_refused-errors-seen-httperr-logs/",
                   "title": "Troubleshooting Connections_refused errors seen in HTTPerr logs (Amol, Microsoft, 2012)",
                   "resolution": "A driver was using up the non-paged pool: the top poolmon -b tag ('Leak') was traced with "
                                 "strings/findstr to myfault.sys and sigcheck; fix or remove that driver and the refusals "
                                 "go away."})


def lb_removes_slow_servers(b: Bundle) -> None:
    b.os, b.day = "2012r2", datetime(2015, 5, 18)
    lb = ["10.20.0.11", "10.20.0.12"]
    burst = (at(b, 8, 0), at(b, 8, 40))
    in_burst = lambda t: burst[0] <= t < burst[1]  # noqa: E731
    rows = b.traffic(at(b, 7, 30), 90, lambda t: b.rng.randint(250, 320) if in_burst(t) else b.rng.randint(30, 60),
                     ["/", "/account/login", "/home/index", "/content/site.css", "/scripts/app.js"],
                     win32=lambda t, u: "64" if in_burst(t) and b.rng.random() < 0.45 else "0")
    b.iis(rows, "8.5")
    for _ in range(160):
        t = burst[0] + timedelta(seconds=b.rng.randint(0, 40 * 60 - 1))
        b.err(t, "Connection_Dropped_List_Full", client=b.rng.choice(lb))
    b.idle(at(b, 7, 30), 1.5, (5, 30))
    b.write_httperr()
    b.systeminfo()
    b.expected("dropped-list-full", "Web farm behind a hardware load balancer: at the morning log-in burst responses slow "
               "down, the balancer marks the servers unhealthy yet still hands them requests and closes each connection "
               "at once; IIS logs '200 0 64' and HTTPERR fills with Connection_Dropped_List_Full.", [], [],
               answers={"answer.load_balancer_in_front": True}, origin={
                   "url": "https://www.thebestcsharpprogrammerintheworld.com/2015/05/22/what-does-connection_dropped_list_full-mean/",
                   "title": "What does Connection_Dropped_List_Full mean (B. Perkins, 2015)",
                   "resolution": "The load balancer, not IIS, dropped the connections (it had taken the servers out of "
                                 "service on a response-time rule but kept sending and closing); check and relax the "
                                 "balancer's rules that remove servers on response time."})


def pool_identity_password(b: Bundle) -> None:
    b.os, b.day = "2016", datetime(2024, 3, 4)
    pool = "FlexNet Manager Platform"
    first = at(b, 7, 58, 12)
    t = first
    while t < at(b, 9, 40):
        b.err(t, "AppOffline", "GET", b.rng.choice(["/Suite/", "/Suite/Inventory", "/Suite/Content/site.css"]), "503", pool,
              "HTTP/1.1", "2")
        t += timedelta(seconds=b.rng.randint(8, 45))
    b.idle(at(b, 6), 4, (15, 60))
    b.write_httperr()
    b.systeminfo()
    invalid = (f"The identity of application pool '{pool}' is invalid. The user name or password that is specified for the "
               "identity may be incorrect, or the user may not have batch logon rights. If the identity is not corrected, the "
               "application pool will be disabled when the application pool receives its first request.  If batch logon rights "
               "are causing the problem, the identity in the IIS configuration store must be changed after rights have been "
               "granted before Windows Process Activation Service (WAS) can retry the logon. If the identity remains invalid "
               "after the first request for the application pool is processed, the application pool will be disabled. The data "
               "field contains the error number.")
    b.events("system-events.txt", "System", [
        (at(b, 6, 30, 2), WAS, 5021, "Warning", invalid),
        (first - timedelta(seconds=1), WAS, 5057, "Warning",
         f"Application pool '{pool}' has been disabled. Windows Process Activation Service (WAS) did not create a worker "
         "process to serve the application pool because the application pool identity is invalid."),
        (first - timedelta(seconds=1), WAS, 5059, "Error",
         f"Application pool '{pool}' has been disabled. Windows Process Activation Service (WAS) encountered a failure when "
         "it started a worker process to serve the application pool."),
    ])
    b.expected("app-pool-cannot-start", "FlexNet Manager Suite on IIS: the service account's password was changed, the web "
               "interface answers 'HTTP Error 503 - Service unavailable' and its application pool is disabled after every "
               "attempt; the System log has WAS 5021, 5057 and 5059 (the HTTPERR AppOffline lines are our reconstruction).",
               [], [], origin={
                   "url": "https://docs.flexera.com/FlexNetManagerSuite2024R1/EN/InstallOnPrem/Installers/Installation/concepts/Inst-IdentifyIISCredentialsIssues.html",
                   "title": "Identifying IIS Application Pool Credential Issues (FlexNet Manager Suite 2024 R1 documentation)",
                   "resolution": "The password of the account the application pools run as changed, so IIS refuses to run "
                                 "the pools (WAS 5057/5059); update the password in the pools' identity (and the services "
                                 "and tasks using the account), then start the pools."})


def was_5189_after_upgrade(b: Bundle) -> None:
    b.day = datetime(2017, 11, 14)
    items = []
    for i, pool in enumerate(("DefaultAppPool", "IntranetPool", "ReportsPool")):
        for j in range(3):
            t = at(b, 8, 12 + 7 * i + 3 * j, 5 + 11 * j)
            items.append((t, WAS, 5189, "Error",
                          f"The Windows Process Activation Service failed to generate an application pool config file for "
                          f"application pool '{pool}'. The error type is '5'. To resolve this issue, please ensure that the "
                          "applicationhost.config file is correct and recommit the last configuration changes made. The data "
                          "field contains the error number."))
    b.events("system-events.txt", "System", items)
    b.expected("app-pool-cannot-start", "Right after a feature upgrade to version 1709, web applications on a Server 2016 "
               "host answer 'HTTP Error 503. The service is unavailable.' and WAS logs event 5189 for their pools (only the "
               "System log was collected).", [], [], origin={
                   "url": "https://docs.microsoft.com/en-US/troubleshoot/iis/error-503-event-5189-web-application",
                   "title": "Web applications return HTTP Error 503 and WAS event 5189 on Windows 10 Version 1709 (KB 4050891)",
                   "resolution": "The upgrade left symbolic links in C:\\inetpub\\temp\\appPools, so WAS cannot write the "
                                 "pools' configuration files and no worker process starts; stop WAS, delete that folder and "
                                 "start W3SVC."})


def npp_depletion_outdated_driver(b: Bundle) -> None:
    b.os, b.arch, b.ram_mb, b.day = "2003", "x86", 4095, datetime(2008, 2, 19)
    b.idle(at(b, 6), 10)
    b.refusals(at(b, 14, 37, 40), at(b, 15, 55), 1, 7)
    b.write_httperr("1.0")
    b.systeminfo()
    b.boot_ini("/fastdetect /NoExecute=OptOut")
    rows, t, npp = [], b.day - timedelta(days=2), 96.0
    while t <= at(b, 15, 50):
        rows.append((t, [int(npp * 1024 * 1024), round(b.rng.uniform(8, 30), 6)]))
        npp = min(npp + b.rng.uniform(0.9, 1.4), 238.5)
        t += timedelta(minutes=30)
    b.typeperf(["Memory\\Pool Nonpaged Bytes", "Processor(_Total)\\% Processor Time"], rows)
    b.poolmon("poolmon-b.txt", int(npp * 1024), [("NDfl", "Nonp", 150_994_944), ("Irp ", "Nonp", 9_437_184), ("TCPt", "Nonp", 6_291_456),
                                                ("UlHT", "Nonp", 4_194_304), ("MmCm", "Nonp", 7_340_032), ("Thre", "Nonp", 2_097_152)])
    b.expected("pool-leak-driver", "IIS 6 on x86 Server 2003 (no /3GB): every few days browsers get 'Page cannot be "
               "displayed', iisreset does not help but a reboot does; HTTPERR shows Connections_Refused, perfmon shows "
               "non-paged pool climbing for two days and poolmon -b one third-party tag holding most of it.",
               ["nonpaged-pool-exhausted"], [], origin={
                   "url": "https://blogs.msdn.microsoft.com/chaun/2008/02/20/page-cannot-be-displayed-due-to-non-paged-pooled-memory-depletion/",
                   "title": "'Page cannot be displayed' due to Non-Paged Pooled Memory Depletion (Chaun, Microsoft, 2008)",
                   "resolution": "A non-paged pool leak in the kernel, confirmed with Poolmon and Perfmon; the root cause "
                                 "was an outdated third-party driver, and updating or uninstalling it solved the leak."})


def iplisten_old_address_after_ip_change(b: Bundle) -> None:
    b.os, b.arch, b.ram_mb, b.day = "2003sbs", "x86", 4095, datetime(2008, 10, 13)
    b.systeminfo()
    # The HTTP service starts at boot and cannot bind the old address; W3SVC then deactivates each site.
    boot = at(b, 8, 4, 31)
    bind = ("Unable to bind to the underlying transport for 192.168.16.2:{port}. The IP Listen-Only list may contain a "
            "reference to an interface which may not exist on this machine.  The data field contains the error number.")
    deactivated = ("Cannot register the URL prefix '{prefix}' for site '{site}'. The site has been deactivated.  The data "
                   "field contains the error number.")
    b.events_2003("system-events.txt", [
        (boot, "HTTP", 15005, "Error", bind.format(port=80)),
        (boot + timedelta(seconds=1), "HTTP", 15005, "Error", bind.format(port=443)),
        (boot + timedelta(seconds=14), "W3SVC", 1004, "Error", deactivated.format(prefix="http://*:80/", site=1)),
        (boot + timedelta(seconds=14), "W3SVC", 1004, "Error", deactivated.format(prefix="https://*:443/", site=1)),
        (boot + timedelta(seconds=15), "W3SVC", 1004, "Error", deactivated.format(prefix="http://*:444/", site=1423017890)),
    ])
    b.reg_http({}, listen_only=["192.168.16.2"])
    b.expected("ip-listen-list-excludes-site", "IIS 6 on Small Business Server 2003 after the server's IP address was "
               "changed: no site starts ('The format of the specified network name is invalid'), the System log has "
               "W3SVC 1004 'Cannot register the URL prefix ... The site has been deactivated' and HTTP's 'Unable to bind "
               "to the underlying transport ... The IP Listen-Only list may contain a reference to an interface which may "
               "not exist' (the story writes its ID as 1005; the text is event 15005's), while every site is bound to "
               "'All Unassigned'. Collected: systeminfo, the System log and reg query of HTTP\\Parameters; the "
               "addresses and the second site are ours.", [], [], origin={
                   "url": "http://narawen.wordpress.com/2008/10/13/iis-does-not-want-to-start-after-change-of-ip/",
                   "title": "IIS does not want to start after change of IP (Michał Krawczyk, 2008)",
                   "resolution": "The ListenOnlyList value under HKLM\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\"
                                 "Parameters (the IP listen list) still named the old IP address; changing it to the new "
                                 "address and restarting the HTTP service and W3SVC brought the sites back."})


STORIES = [
    ("story-urlacl-plus80-503na", "W7DEV01", urlacl_plus80_localhost),
    ("story-owa-3gb-refused", "EXCH01", owa_3gb_refused),
    ("story-kb933844-remove-3gb", "WEB30", remove_3gb_kb933844),
    ("story-myfault-leak-tag", "WEB31", myfault_leak_tag),
    ("story-lb-removes-slow-servers", "FARM01", lb_removes_slow_servers),
    ("story-pool-identity-password", "FNMS01", pool_identity_password),
    ("story-was-5189-after-upgrade", "WEB40", was_5189_after_upgrade),
    ("story-npp-outdated-driver", "WEB41", npp_depletion_outdated_driver),
    ("story-iplisten-old-address", "SBS01", iplisten_old_address_after_ip_change),
]
