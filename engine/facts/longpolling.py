"""Long-polling and by-design long requests, and URLs compared without their query strings.

ActiveSync Ping, OWA notifications, SignalR, WebSockets and anything whose URL says it
polls hold a request open for minutes by design; when the client's network goes away
HTTP.sys logs Connection_Dropped for it, and IIS logs it with a long time-taken. Such
requests are neither load nor a hung application.
"""
from __future__ import annotations

from collections import Counter

# URL parts (lower case, path or query) that mark a request held open by design.
LONG_POLLING = ("/microsoft-server-activesync", "cmd=ping", "/owa/ev.owa", "/owa/notification", "/signalr/",
                "transport=longpolling", "transport=serversentevents", "transport=websockets", "websocket",
                "longpoll", "long-poll", "/poll", "comet", "/rpc/rpcproxy.dll")


def is_long_polling(url: str) -> bool:
    """Whether a URL (path and query) is held open by design.

    >>> is_long_polling("/Microsoft-Server-ActiveSync/default.eas?Cmd=Ping"), is_long_polling("/shop/cart.aspx")
    (True, False)
    """
    text = url.lower()
    return any(mark in text for mark in LONG_POLLING)


def stem(url: str) -> str:
    """The URL without its query string.

    >>> stem("/owa/ev.owa?ns=PendingRequest&ev=PendingNotificationRequest")
    '/owa/ev.owa'
    """
    return url.split("?", 1)[0]


def by_stem(urls: Counter) -> Counter:
    """Entries per URL with the query strings left off."""
    grouped: Counter = Counter()
    for url, n in urls.items():
        grouped[stem(url)] += n
    return grouped


def long_polling_share(urls: Counter) -> float:
    """Share of the URL-bearing entries that went to long-polling URLs (0 when none name a URL)."""
    total = sum(urls.values())
    return sum(n for url, n in urls.items() if is_long_polling(url)) / total if total else 0.0
