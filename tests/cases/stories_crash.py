"""Published stories of IIS worker processes crashing, rebuilt as case bundles (run through generate.py).

As in stories.py: the evidence is what the help desk would have collected on the story's
server, in the formats Windows writes (the Application log's crash events as the story
quotes them, one field a line); `expected` is written from the story's resolution
(`origin`) before the tool ran on the bundle, and `at_most` caps the causes that resolution
rules out. Names, addresses and counts are made up around the story's facts.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from generate import WAS, Bundle, at


def oracle_client_stack_overflow(b: Bundle) -> None:
    """IIS 7.5, a .NET 4 application whose pool keeps crashing: Application Error 1000 names w3wp.exe with
    the faulting module oci.dll (the Oracle client) and exception code 0xc00000fd, Windows Error Reporting
    files an APPCRASH report, and WAS logs 5011 for the pool (R91)."""
    b.os, b.day = "2008r2", datetime(2012, 3, 19)
    pool, urls = "OrdersPool", ["/orders/list.aspx", "/orders/edit.aspx", "/orders/search.aspx", "/default.aspx"]
    crashes = [at(b, 9, 41, 7), at(b, 11, 18, 52), at(b, 14, 2, 30), at(b, 16, 37, 15)]
    pids = [4516, 3208, 5872, 2740]
    system, application = [], []
    for crash, pid in zip(crashes, pids):
        for i in range(b.rng.randint(6, 14)):
            b.err(crash + timedelta(milliseconds=150 * i), "Connection_Abandoned_By_ReqQueue", "POST", b.rng.choice(urls), "-",
                  pool, "HTTP/1.1", "1")
        system.append((crash + timedelta(seconds=1), WAS, 5011, "Warning",
                       f"A process serving application pool '{pool}' suffered a fatal communication error with the Windows "
                       f"Process Activation Service. The process id was '{pid}'. The data field contains the error number."))
        application.append((crash, "Application Error", 1000, "Error", "\n".join([
            "Faulting application name: w3wp.exe, version: 7.5.7601.17514, time stamp: 0x4ce7afa2",
            "Faulting module name: oci.dll, version: 11.2.0.1, time stamp: 0x4bb1da76",
            "Exception code: 0xc00000fd", "Fault offset: 0x000000000006f837", f"Faulting process id: {pid:#x}",
            "Faulting application start time: 0x01cd05c39bce5a0e",
            "Faulting application path: c:\\windows\\system32\\inetsrv\\w3wp.exe",
            "Faulting module path: c:\\oracle\\product\\11.2.0\\client_1\\bin\\oci.dll",
            f"Report Id: d8925b5a-6ea9-11e1-906a-00215e63{pid:04x}"])))
        application.append((crash + timedelta(seconds=3), "Windows Error Reporting", 1001, "Information", "\n".join([
            "Fault bucket , type 0", "Event Name: APPCRASH", "Response: Not available", "Cab Id: 0", "",
            "Problem signature:", "P1: w3wp.exe", "P2: 7.5.7601.17514", "P3: 4ce7afa2", "P4: oci.dll", "P5: 11.2.0.1",
            "P6: 4bb1da76", "P7: c00000fd", "P8: 000000000006f837", "P9: ", "P10: ", "", "Attached files:",
            f"C:\\Windows\\Temp\\WER{pid:04X}.tmp.WERInternalMetadata.xml", "", "These files may be available here:",
            f"C:\\ProgramData\\Microsoft\\Windows\\WER\\ReportArchive\\AppCrash_w3wp.exe_8d7f3e2c_{pid:08x}", "",
            "Analysis symbol: ", "Rechecking for solution: 0", f"Report Id: d8925b5a-6ea9-11e1-906a-00215e63{pid:04x}",
            "Report Status: 0"])))
    b.events("system-events.txt", "System", system)
    b.events("application-events.txt", "Application", application)
    b.iis(b.traffic(at(b, 8), 600, lambda t: b.rng.randint(20, 45), urls), "7.5")
    b.idle(at(b, 8), 10)
    b.write_httperr()
    b.systeminfo()
    b.app_host_config(pool)
    b.expected("worker-process-failure", "IIS 7.5 serving a .NET 4 application through the Oracle client: the pool's w3wp.exe "
               "crashes a few times a day on a stack overflow in oci.dll (Application Error 1000, exception code 0xc00000fd, "
               "with a Windows Error Reporting APPCRASH report), WAS logs 5011 and the requests in flight are abandoned.",
               [], [], at_most={"app-pool-rapid-fail": 0.3, "app-not-sending-response": 0.3, "queue-not-draining": 0.3}, origin={
                   "url": "http://vstepic.blogspot.com/2012/03/how-to-debug-iis-75-application-pool.html",
                   "title": "How to debug IIS 7.5 application pool (w3wp.exe) crashes (Vladimir Stepic, 2012)",
                   "resolution": "The worker process crashes: Application Error 1000 names the faulting module oci.dll and "
                                 "exception code 0xc00000fd (a stack overflow) and WAS logs 5011 for the pool; the crash "
                                 "dump that Windows Error Reporting keeps, opened in WinDbg with the SOS extension, shows "
                                 "the call stack that overflowed, for the developers to fix."})


def aspnet2_unhandled_exception_iis6(b: Bundle) -> None:
    """IIS 6 with ASP.NET 2.0: now and then the worker dies (W3SVC 1011 in the System log) and the Application
    log has the CLR's report 'EventType clr20r3, P1 w3wp.exe ... P9 system.dividebyzeroexception' (R92)."""
    b.os, b.arch, b.ram_mb, b.day = "2003", "x86", 3583, datetime(2006, 4, 25)
    pool, urls = "ASP.NET V2.0", ["/shop/default.aspx", "/shop/basket.aspx", "/shop/item.aspx"]
    crashes, pids = [at(b, 9, 41, 20), at(b, 13, 5, 48), at(b, 16, 22, 9)], [6256, 1732, 4420]
    system, application = [], []
    for crash, pid in zip(crashes, pids):
        for i in range(b.rng.randint(4, 11)):
            b.err(crash + timedelta(milliseconds=250 * i), "Connection_Abandoned_By_AppPool", "GET", b.rng.choice(urls), "-",
                  pool, "HTTP/1.1", "1")
        application.append((crash, ".NET Runtime 2.0 Error Reporting", 5000, "Error",
                            "EventType clr20r3, P1 w3wp.exe, P2 6.0.3790.1830, P3 42435be1, P4 app_code.pn5mfdcr, P5 0.0.0.0, "
                            "P6 444dcf44, P7 5, P8 5, P9 system.dividebyzeroexception, P10 NIL."))
        system.append((crash + timedelta(seconds=2), "W3SVC", 1011, "Warning",
                       f"A process serving application pool '{pool}' suffered a fatal communication error with the World Wide "
                       f"Web Publishing Service. The process id was '{pid}'. The data field contains the error number."))
    b.events_2003("system-events.txt", system)
    b.events_2003("application-events.txt", application)
    b.idle(at(b, 8), 9)
    b.write_httperr("1.0")
    b.systeminfo()
    b.boot_ini("/fastdetect /NoExecute=OptOut")
    b.expected("worker-process-failure", "IIS 6 with ASP.NET 2.0: a few times a day the worker process of 'ASP.NET V2.0' dies "
               "(W3SVC 1011) and the Application log has .NET Runtime 2.0 Error Reporting 5000 for w3wp.exe with "
               "system.dividebyzeroexception; the requests it held are abandoned (Connection_Abandoned_By_AppPool).", [], [],
               at_most={"app-pool-rapid-fail": 0.3, "app-not-sending-response": 0.3}, origin={
                   "url": "http://blogs.msdn.com/b/tess/archive/2006/04/27/asp-net-2-0-crash-case-study-unhandled-exceptions.aspx",
                   "title": "ASP.NET 2.0 Crash case study: Unhandled exceptions (Tess Ferrandez, Microsoft, 2006)",
                   "resolution": "From ASP.NET 2.0 an exception left unhandled on a thread outside a request ends the "
                                 "worker process; the CLR20r3 report (P9) names the exception and a crash dump or an "
                                 "UnhandledException handler shows the code that throws it, which has to be fixed."})


STORIES = [
    ("story-oracle-client-stack-overflow", "ORDERS03", oracle_client_stack_overflow),
    ("story-aspnet2-unhandled-exception", "SUBSPACE1", aspnet2_unhandled_exception_iis6),
]
