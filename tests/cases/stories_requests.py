"""Published stories of requests HTTP.sys rejects before any site sees them, rebuilt as case bundles.

As in stories.py: the evidence is what the help desk would have collected on the story's
server, in the formats Windows writes; `expected` is written from the story's resolution
(`origin`) before the tool ran on the bundle, and `at_most` caps the causes that resolution
rules out. Names, addresses and counts are made up around the story's facts.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from generate import Bundle, at


def host_header_with_slashes(b: Bundle) -> None:
    b.os, b.arch, b.ram_mb, b.day = "2003", "x86", 4095, datetime(2009, 3, 11)
    rpg_client = "10.20.4.31"
    t = at(b, 7, 30, 12)
    while t < at(b, 11, 40):
        b.err(t, "Hostname", "POST", "/vdir/page.asp", "400", "-", "HTTP/1.0", "-", client=rpg_client)
        t += timedelta(seconds=b.rng.randint(60, 240))
    urls = ["/vdir/", "/vdir/default.asp", "/vdir/page.asp", "/vdir/images/logo.gif"]
    b.iis(b.traffic(at(b, 7), 300, lambda t: b.rng.randint(8, 20), urls), "6.0")
    b.idle(at(b, 7), 5, (40, 240))
    b.write_httperr("1.0")
    b.systeminfo()
    b.boot_ini("/fastdetect /NoExecute=OptOut")
    b.expected("malformed-requests", "IIS 6: POSTs from one non-Windows client application (User-Agent e.RPG) get "
               "'Bad Request - Invalid Hostname' while browsers use the same site without trouble; HTTPERR logs "
               "'HTTP/1.0 POST /vdir/page.asp 400 - Hostname -' for each of them.", [], [],
               at_most={"no-site-binding": 0.3, "header-too-large": 0.3}, origin={
                   "url": "https://techcommunity.microsoft.com/t5/iis-support-blog/http-400-bad-request-when-client-sends-invalid-http-host-header/ba-p/347509",
                   "title": "HTTP 400 Bad Request when client sends invalid HTTP:Host header value (IIS Support Blog, "
                            "reposted 2019)",
                   "resolution": "A network trace showed the client sending a whole URL ('http://ip_address/vdir') as its "
                                 "Host header; "
                                 "once the client was configured to send only the address, its requests succeeded. "
                                 "Nothing on the server (bindings, limits) was wrong."})


def site_turned_off_404(b: Bundle) -> None:
    b.os, b.day, b.ip = "2008", datetime(2011, 1, 28), "172.30.137.57"
    balancer, urls = "172.30.137.2", ["/", "/default.aspx", "/login.aspx", "/images/header.jpg"]
    off, back = at(b, 22, 41, 17), at(b, 23, 5, 50)
    b.iis([row for row in b.traffic(at(b, 21, 30), 70, lambda t: b.rng.randint(10, 25), urls) if row[0] < off], "7.0")
    t = off + timedelta(seconds=3)
    while t < back:
        b.err(t, "NotFound", "GET", "/", "404", "-", "HTTP/1.1", "-", client=balancer)
        if b.rng.random() < 0.4:
            b.err(t + timedelta(seconds=b.rng.randint(0, 4)), "NotFound", "GET", b.rng.choice(urls), "404", "-", "HTTP/1.1", "-")
        t += timedelta(seconds=5)
    for minute in (43, 52, 58):
        b.err(at(b, 22, minute, 9), "NotFound", "GET", "/", "404", "-", "HTTP/1.1", "-", client=b.ip)
    b.idle(at(b, 21, 30), 2, (20, 90))
    b.write_httperr()
    b.systeminfo()
    b.expected("no-site-binding", "IIS 7 on Windows Server 2008 SP2 behind a WebMux load balancer: when the web site is "
               "turned off, browsers and the balancer's health check get 'HTTP Error 404. The requested resource is not "
               "found.' from HTTP.sys (HTTPERR 404 NotFound) instead of a 503, so the balancer keeps sending to it.", [], [],
               at_most={"url-reservation-conflict": 0.3, "app-pool-stopped": 0.3}, origin={
                   "url": "http://cainetworks.com/support/how-to-IIS-return-503.html",
                   "title": "IIS server on Windows 2008 returns 404 instead of 503 when the virtual server is turned off "
                            "(CAI Networks support note, 2011)",
                   "resolution": "With the site stopped, no started site holds the address and port, so HTTP.sys answers "
                                 "404 itself; the note's workaround is a URL reservation for http://<site address>:80/ "
                                 "so that HTTP.sys answers 503 (N/A) while the site is off."})


STORIES = [
    ("story-host-header-slashes", "WEB52", host_header_with_slashes),
    ("story-site-off-404", "WEB53", site_turned_off_404),
]
