"""Published stories of HTTP.sys answering 503 itself, rebuilt as case bundles (run through generate.py).

As in stories.py: the evidence is what the help desk would have collected on the story's
server, in the formats Windows writes; `expected` is written from the story's resolution
(`origin`) before the tool ran on the bundle, and `at_most` caps the causes that resolution
rules out. Names, addresses and counts are made up around the story's facts.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from generate import WAS, Bundle, at, write


def rapid_fail_generic_503(b: Bundle) -> None:
    b.os, b.day = "2016", datetime(2020, 9, 21)
    pool, first_crash = "PublicSitePool", at(b, 10, 12, 40)
    pids = [5512, 7044, 2236, 6380, 4908]
    crash_times = [first_crash + timedelta(seconds=s) for s in (0, 41, 95, 150, 206)]
    system = [(t, WAS, 5011, "Warning",
               f"A process serving application pool '{pool}' suffered a fatal communication error with the Windows Process "
               f"Activation Service. The process id was '{pid}'. The data field contains the error number.")
              for t, pid in zip(crash_times, pids)]
    disabled = crash_times[-1] + timedelta(seconds=1)
    system.append((disabled, WAS, 5002, "Error", f"Application pool '{pool}' is being automatically disabled due to a "
                   "series of failures in the process(es) serving that application pool."))
    b.events("system-events.txt", "System", system)
    application = []
    for t, pid in zip(crash_times, pids):
        application.append((t - timedelta(seconds=1), ".NET Runtime", 1026, "Error",
                            "Application: w3wp.exe Framework Version: v4.0.30319 Description: The process was terminated due "
                            "to an unhandled exception. Exception Info: System.InvalidOperationException"))
        application.append((t - timedelta(milliseconds=400), "Application Error", 1000, "Error",
                            "Faulting application name: w3wp.exe, version: 10.0.14393.0, time stamp: 0x57899b8a Faulting module "
                            "name: KERNELBASE.dll, version: 10.0.14393.3750, time stamp: 0x5ed5f8e2 Exception code: 0xe0434352 "
                            f"Fault offset: 0x0000000000034c48 Faulting process id: {pid:#x} Faulting application path: "
                            "c:\\windows\\system32\\inetsrv\\w3wp.exe"))
    b.events("application-events.txt", "Application", application)
    urls = ["/", "/products", "/products/details", "/cart", "/content/site.css"]
    rows = [row for row in b.traffic(at(b, 9, 30), 45, lambda t: b.rng.randint(40, 70), urls) if row[0] < first_crash]
    b.iis(rows, "10.0")
    b.stuck(disabled + timedelta(seconds=2), at(b, 11, 5), "AppOffline", "GET", urls, "503", pool, "2", (1, 6))
    b.idle(at(b, 8), 3)
    b.write_httperr()
    b.systeminfo()
    b.app_host_config(pool)
    b.expected("app-pool-rapid-fail", "IIS 10 site answers 'HTTP Error 503. The service is unavailable.' and its "
               "application pool shows Stopped: five w3wp.exe crashes in under four minutes (WAS 5011, with the "
               "second-chance exception in the Application log) and then WAS 5002.", [], ["worker-process-failure"],
               at_most={"app-pool-stopped": 0.3, "app-pool-cannot-start": 0.3}, origin={
                   "url": "http://thewindowsupdate.com/2020/09/28/http-response-503-service-unavailable-from-iis-one-common-generic-cause/",
                   "title": "HTTP response 503 Service Unavailable from IIS: one common generic cause (V. Alexandru, IIS "
                            "Support Blog, 2020, as republished)",
                   "resolution": "Rapid-Fail Protection stopped the pool after the worker process crashed five times in "
                                 "five minutes; the WAS events in the System log show it and the Application log shows "
                                 "the crashing exception; fix the crash (dumps), then start the pool."})


def connlimit_server_busy(b: Bundle) -> None:
    b.os, b.arch, b.ram_mb, b.day = "2003", "x86", 2047, datetime(2007, 1, 2)
    busy = (at(b, 12, 0), at(b, 13, 30))
    in_busy = lambda t: busy[0] <= t < busy[1]  # noqa: E731
    urls = ["/", "/default.aspx", "/news.aspx", "/images/banner.gif", "/styles/site.css"]
    rows = b.traffic(at(b, 9), 300, lambda t: b.rng.randint(180, 230) if in_busy(t) else b.rng.randint(30, 70), urls)
    b.iis(rows, "6.0")
    t = busy[0] + timedelta(minutes=4)
    while t < busy[1] - timedelta(minutes=6):
        b.err(t, "ConnLimit", "GET", b.rng.choice(urls[:3]), "503", "-", "HTTP/1.1", "1")
        t += timedelta(seconds=b.rng.randint(1, 9))
    b.idle(at(b, 9), 5, (20, 120))
    b.write_httperr("1.0")
    b.systeminfo()
    b.boot_ini("/fastdetect /NoExecute=OptOut")
    b.expected("site-connection-limit", "An IIS 6 site limited to a number of connections on its Performance tab: at the "
               "busy lunch hour visitors get '503 Service Unavailable' (not the custom 'server busy' page its owner "
               "hoped for) and HTTPERR logs 503 ConnLimit.", [], [], at_most={"request-queue-full": 0.3}, origin={
                   "url": "http://www.gafvert.info/blog/article/070102_customize_server_busy.htm",
                   "title": "You cannot have a customized \"Server Busy\" error page (K. Gafvert, 2007)",
                   "resolution": "The site's own connection limit (Performance tab) was reached: HTTP.sys answers 503 "
                                 "and logs ConnLimit in kernel mode, so no custom error page can run; raise or remove "
                                 "the limit if those visitors should get in."})


def exchange_default_pool_config(b: Bundle) -> None:
    """applicationHost.config of a Client Access server: /Rpc in DefaultAppPool, pool settings at their defaults."""
    write(b.out / "applicationHost.config", [
        '<?xml version="1.0" encoding="UTF-8"?>', "<configuration>", "    <system.applicationHost>",
        "        <applicationPools>", '            <add name="DefaultAppPool" />',
        '            <add name="MSExchangeOWAAppPool" managedRuntimeVersion="v2.0" />',
        '            <applicationPoolDefaults>', '                <processModel identityType="NetworkService" />',
        "            </applicationPoolDefaults>", "        </applicationPools>", "        <sites>",
        '            <site name="Default Web Site" id="1">',
        '                <application path="/" applicationPool="DefaultAppPool">',
        '                    <virtualDirectory path="/" physicalPath="%SystemDrive%\\inetpub\\wwwroot" />',
        "                </application>", '                <application path="/Rpc" applicationPool="DefaultAppPool">',
        '                    <virtualDirectory path="/" physicalPath="C:\\Windows\\System32\\RpcProxy" />',
        "                </application>", "                <bindings>",
        '                    <binding protocol="http" bindingInformation="*:80:" />',
        '                    <binding protocol="https" bindingInformation="*:443:" />',
        "                </bindings>", "            </site>", "        </sites>",
        "    </system.applicationHost>", "</configuration>"])


def outlook_anywhere_recycle_storm(b: Bundle) -> None:
    b.day = datetime(2013, 3, 12)
    pool, recycle = "DefaultAppPool", at(b, 11, 47, 3)
    rpc = ["/rpc/rpcproxy.dll?cas01.contoso.com:6001", "/rpc/rpcproxy.dll?cas01.contoso.com:6002",
           "/rpc/rpcproxy.dll?cas01.contoso.com:6004"]
    kill = recycle + timedelta(seconds=90)
    for i in range(260):
        b.err(kill + timedelta(milliseconds=35 * i), "Connection_Abandoned_By_ReqQueue", b.rng.choice(["RPC_IN_DATA", "RPC_OUT_DATA"]),
              b.rng.choice(rpc), "-", pool, "HTTP/1.1", "1", port=443)
    t = kill + timedelta(seconds=2)
    while t < kill + timedelta(minutes=11):
        for _ in range(b.rng.randint(3, 12)):
            b.err(t + timedelta(milliseconds=b.rng.randint(0, 999)), "QueueFull", b.rng.choice(["RPC_IN_DATA", "RPC_OUT_DATA"]),
                  b.rng.choice(rpc), "503", pool, "HTTP/1.1", "1", port=443)
        t += timedelta(seconds=b.rng.randint(1, 3))
    b.idle(at(b, 9), 5, (5, 40))
    b.write_httperr()
    b.systeminfo()
    exchange_default_pool_config(b)
    b.events("system-events.txt", "System", [
        (recycle, WAS, 5074, "Information", "A worker process with process id of '3864' serving application pool "
                                            f"'{pool}' has requested a recycle because the worker process reached its "
                                            "allowed processing time limit."),
        (kill, WAS, 5013, "Warning", f"A process serving application pool '{pool}' exceeded time limits during shut down. "
                                     "The process id was '3864'.")])
    b.expected("request-queue-full", "Exchange Client Access server on Windows Server 2008 R2: once a day Outlook "
               "clients on Outlook Anywhere (RPC over HTTPS) lose their connection all at once; the RPC proxy runs in "
               "DefaultAppPool, which recycles every 1,740 minutes, the long RPC connections outlive the 90-second "
               "shutdown limit and every client reconnects together (the HTTPERR lines and events are our "
               "reconstruction of that sequence).", [], [],
               at_most={"app-pool-rapid-fail": 0.3, "app-pool-memory-limit": 0.3}, origin={
                   "url": "http://clintboessen.blogspot.com/2013/03",
                   "title": "Outlook clients randomly lose their HTTPS connection to Exchange (C. Boessen, 2013), "
                            "citing the Exchange 2007 topic on Outlook Anywhere and IIS application pools "
                            "(technet.microsoft.com/en-us/library/dd421855.aspx)",
                   "resolution": "The scheduled recycle of DefaultAppPool cut the long-running RPC over HTTP connections "
                                 "and the mass reconnection overwhelmed the server; give the RPC proxy its own pool "
                                 "with a larger HTTP.sys queue limit (1,000 to 10,000) and no periodic recycling."})


STORIES = [
    ("story-rapid-fail-generic-503", "WEB50", rapid_fail_generic_503),
    ("story-connlimit-server-busy", "WEB51", connlimit_server_busy),
    ("story-outlook-anywhere-recycle", "CAS01", outlook_anywhere_recycle_storm),
]
