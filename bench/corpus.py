"""Generate a realistic HTTPERR corpus for the benchmark (fixed seed: same bytes every run).

What a web farm keeps under `%SystemRoot%\\System32\\LogFiles\\HTTPERR`: each server
rolls its log every megabyte, each file starts with the W3C header block, and a
year of traffic is mostly `Timer_ConnectionIdle` noise with the odd parse error,
slow client, a few bursts of `Connection_Dropped` and counted
`N_Connections_Refused` lines (all-dash fields, as Windows Server 2003 wrote them).
Client addresses mix IPv4 and IPv6, link-local ones with a zone id (`fe80::...%12`).
Two servers use the 14-field layout of Windows Server 2012 R2/2016 (`streamid`),
two the 18-field layout of Windows Server 2022 (`transport`, `fault-code` ...).

The single big file is one server's year in one file (the size a collector that
concatenates the rolled files produces), with a header block at every service restart.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

SEED = 20071113
MB = 1024 * 1024
START = datetime(2025, 1, 1, tzinfo=timezone.utc)
YEAR_S = 365 * 86400

LAYOUTS = {
    14: "date time c-ip c-port s-ip s-port cs-version cs-method cs-uri streamid sc-status s-siteid s-reason s-queuename",
    18: "date time c-ip c-port s-ip s-port cs-version cs-method cs-uri streamid streamid_ex sc-status s-siteid "
        "s-reason s-queuename transport fault-code extended-fault-code",
}
# (reason, weight, status, has request line, has site/queue); Timer_ConnectionIdle dominates.
BACKGROUND = (
    ("Timer_ConnectionIdle", 880, "-", False, False),
    ("Client_Reset", 25, "-", False, False),
    ("Timer_MinBytesPerSecond", 20, "-", True, False),
    ("BadRequest", 18, "400", True, False),
    ("Hostname", 10, "400", True, False),
    ("Timer_EntityBody", 10, "-", True, True),
    ("Request_Cancelled", 9, "-", True, True),
    ("Connection_Abandoned_By_ReqQueue", 8, "-", True, True),
    ("URL", 6, "400", True, False),
    ("Timer_HeaderWait", 5, "-", False, False),
    ("Verb", 3, "400", True, False),
    ("FieldLength", 3, "400", True, False),
    ("Timer_AppPool", 2, "503", True, True),
    ("QueueFull", 1, "503", True, True),
)
URLS = ["/", "/default.aspx", "/login.aspx", "/api/orders", "/api/orders/submit", "/api/stock",
        "/images/logo.png", "/css/site.css", "/Reports/Monthly.aspx", "/services/Billing.svc",
        "/upload/handler.ashx", "/search?q=widgets", "/favicon.ico", "/checkout/confirm"]
QUEUES = ["DefaultAppPool", "OrdersPool", "ApiPool", "ReportsPool"]


class _Clock:
    """Timestamps that move forward; text for a second is built once per minute."""

    def __init__(self, start: datetime):
        self.now = int(start.timestamp())
        self._minute = -1
        self._prefix = ""

    def text(self) -> str:
        minute = self.now // 60
        if minute != self._minute:
            self._minute = minute
            self._prefix = datetime.fromtimestamp(minute * 60, timezone.utc).strftime("%Y-%m-%d %H:%M:")
        return f"{self._prefix}{self.now % 60:02d}"


class _Server:
    def __init__(self, rng: random.Random, number: int, width: int, span_s: int, lines_total: int):
        self.rng = rng
        self.width = width
        self.clock = _Clock(START)
        self.mean_gap = max(span_s / max(lines_total, 1), 0.01)
        self.ip = f"10.1.{number}.{10 + number}"
        self.ip6 = f"2001:db8:1::{number:x}"
        self.burst: list[str] = []
        self.fields = LAYOUTS[width]
        self.reasons = [b[0] for b in BACKGROUND]
        self.weights = [b[1] for b in BACKGROUND]
        self.spec = {b[0]: b for b in BACKGROUND}

    def header(self) -> list[str]:
        api = "2.0"
        return ["#Software: Microsoft HTTP API " + api, "#Version: 1.0",
                f"#Date: {self.clock.text()}", f"#Fields: {self.fields}"]

    def _client(self) -> tuple[str, str]:
        rng = self.rng
        pick = rng.random()
        if pick < 0.75:
            client = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            server = self.ip
        elif pick < 0.9:
            client = f"2001:db8:{rng.randint(0, 65535):x}:{rng.randint(0, 65535):x}::{rng.randint(1, 65535):x}"
            server = self.ip6
        else:
            client = f"fe80::{rng.randint(0, 65535):x}:{rng.randint(0, 65535):x}:{rng.randint(0, 65535):x}%{rng.randint(2, 24)}"
            server = f"fe80::1%{rng.randint(2, 24)}"
        return client, server

    def _line(self, reason: str, status: str, request: bool, site: bool, url: str | None = None) -> str:
        rng = self.rng
        client, server = self._client()
        if request:
            version, method = rng.choice(("HTTP/1.1", "HTTP/1.1", "HTTP/2.0", "HTTP/1.0")), rng.choice(("GET", "GET", "POST"))
            url = url or rng.choice(URLS)
        else:
            version = method = "-"
            url = "-"
        siteid = str(rng.randint(1, 3)) if site else "-"
        queue = rng.choice(QUEUES) if site else "-"
        stream = str(rng.randint(1, 99)) if version == "HTTP/2.0" else "-"
        tokens = [self.clock.text(), client, str(rng.randint(1025, 65535)), server, "443" if rng.random() < 0.7 else "80",
                  version, method, url, stream]
        if self.width == 18:
            tokens.append("-")
        tokens += [status, siteid, reason, queue]
        if self.width == 18:
            tokens += ["TCP" if version != "HTTP/2.0" else "TLS", "-", "-"]
        return " ".join(tokens)

    def _start_burst(self) -> None:
        rng = self.rng
        if rng.random() < 0.5:
            # Connection_Dropped under load: a few URLs, many lines within minutes.
            urls = rng.sample(URLS, 2)
            for _ in range(rng.randint(50, 400)):
                self.burst.append(("drop", rng.choice(urls)))
        else:
            # Counted refusals, one line every few seconds while the pool is exhausted.
            for _ in range(rng.randint(30, 300)):
                self.burst.append(("refused", str(rng.randint(1, 40))))

    def next_line(self) -> str:
        rng = self.rng
        if self.burst:
            kind, value = self.burst.pop()
            self.clock.now += rng.randint(0, 4)
            if kind == "drop":
                return self._line("Connection_Dropped", "-", True, True, value)
            return self._refused(value)
        self.clock.now += int(rng.expovariate(1 / self.mean_gap))
        if rng.random() < 0.0004:
            self._start_burst()
        reason = rng.choices(self.reasons, self.weights)[0]
        _, _, status, request, site = self.spec[reason]
        return self._line(reason, status, request, site)

    def _refused(self, count: str) -> str:
        names = self.fields.split()
        tokens = ["-"] * len(names)
        tokens[0], tokens[1] = self.clock.text().split(" ")
        tokens[names.index("s-reason")] = f"{count}_Connections_Refused"
        return " ".join(tokens)

    def write_block(self, handle, limit: int) -> int:
        """Write lines until `limit` bytes are written; return the bytes written."""
        lines = self.header()
        size = sum(len(line) + 2 for line in lines)
        while size < limit:
            if self.rng.random() < 0.00002:
                lines += self.header()
            line = self.next_line()
            lines.append(line)
            size += len(line) + 2
        data = ("\r\n".join(lines) + "\r\n").encode("ascii")
        handle.write(data)
        return len(data)


def build(out: Path, corpus_mb: int, servers: int, big_mb: int, file_mb: float = 1.0) -> tuple[Path, Path]:
    """Write `corpus_mb` of rolled 1 MB files under out/farm/WEBnn/ and one `big_mb` file; reuse if present."""
    farm, big = out / "farm", out / "big" / "httperr-year.log"
    stamp = out / f".built-{SEED}-{corpus_mb}-{servers}-{big_mb}-{file_mb}"
    if stamp.exists():
        return farm, big
    for old in out.glob(".built-*"):
        old.unlink()
    rng = random.Random(SEED)
    files_per_server = max(1, round(corpus_mb / file_mb / servers))
    file_bytes = int(file_mb * MB)
    for number in range(1, servers + 1):
        folder = farm / f"WEB{number:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.log"):
            old.unlink()
        server = _Server(rng, number, 14 if number % 2 else 18, YEAR_S, files_per_server * file_bytes // 110)
        for index in range(1, files_per_server + 1):
            with open(folder / f"httperr{index}.log", "wb") as handle:
                server.write_block(handle, file_bytes - 200)
    big.parent.mkdir(parents=True, exist_ok=True)
    server = _Server(rng, 9, 14, YEAR_S, big_mb * MB // 110)
    with open(big, "wb") as handle:
        written = 0
        while written < big_mb * MB:
            written += server.write_block(handle, min(4 * MB, big_mb * MB - written))
    stamp.touch()
    return farm, big


if __name__ == "__main__":  # pragma: no cover
    import sys

    print(build(Path(sys.argv[1]), int(sys.argv[2]), 4, int(sys.argv[3])))
