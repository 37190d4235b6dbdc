"""What every report form shows the same way: the key numbers and the confidence bar.

Each renderer escapes for its own medium; this module only chooses and formats.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from ..plurals import counted
from ..report import CauseOut, NextStep, ReasoningStep, Report, RuledOut, ServerDiagnosis
from ..templates import format_value

# (fact, label, unit): the figures an engineer looks for first, in reading order.
KEY_FACTS = (
    ("memory.npp_free_mb", "Non-paged pool free", "MB"),
    ("memory.npp_used_mb", "Non-paged pool in use", "MB"),
    ("memory.npp_limit_mb", "Non-paged pool ceiling", "MB"),
    ("memory.npp_floor_mb", "http.sys refuses below (free)", "MB"),
    ("perf.npp_peak_mb", "Non-paged pool peak (perfmon)", "MB"),
    ("perf.npp_growth_mb", "Non-paged pool growth (perfmon)", "MB"),
    ("poolmon.top_npp_tag", "Largest non-paged pool tag", ""),
    ("poolmon.top_npp_tag_mb", "Bytes held by that tag", "MB"),
    ("poolmon.growing_tags", "Pool tags growing across snapshots", ""),
    ("poolmon.growth_tag", "Fastest-growing pool tag", ""),
    ("perf.queue_peak", "Longest request queue (perfmon)", ""),
    ("perf.cpu_peak_pct", "CPU peak (perfmon)", "%"),
    ("httperr.lines", "HTTPERR lines", ""),
    ("httperr.top_reason", "Most frequent problem reason", ""),
    ("iis.requests", "IIS requests", ""),
    ("iis.peak_requests_per_minute", "IIS peak requests per minute", ""),
    ("iis.median_requests_per_minute", "IIS usual (median) requests per minute", ""),
    ("load.ratio_at_drops", "Load at drops against usual", "x"),
    ("iis.time_taken_p95_ms", "IIS time-taken, 95th percentile", "ms"),
    ("netsh.queue_max_requests_min", "Request queue length (netsh)", ""),
    ("netsh.idle_timeout_s", "Idle connection timeout (netsh)", "s"),
    ("netsh.min_send_rate", "Minimum send rate (netsh)", "B/s"),
    ("boot.switch_3gb", "/3GB boot switch", ""),
    ("boot.increaseuserva_mb", "increaseuserva (bcdedit)", "MB"),
)
REASON_COUNT = ("httperr.reason.", ".count")

# Controls (C0 but tab and newline, DEL, C1), zero-width and joiner characters, bidi
# marks and overrides (U+061C, U+200E/F, U+202A-E, U+2066-9), line and paragraph
# separators (U+2028/9, line breaks to some viewers), the soft hyphen, word joiner and
# invisible operators (U+2060-4), the BOM (U+FEFF) and tag characters (U+E0000-7F),
# which can hide text or make it read differently from what it is.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
                      "\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]")


def clean(text: str) -> str:
    """Strip control and escape sequences, and characters that hide or reorder text.

    >>> clean("/a\\x1b[31mred\\x07"), clean("a\\u2028b\\ufeffc\\u00add\\U000e0041e\\u061cf\\u2060g")
    ('/a[31mred', 'abcdefg')
    """
    return _CONTROL.sub("", str(text))


@dataclass(frozen=True)
class KeyNumber:
    label: str
    value: str


def key_numbers(server: ServerDiagnosis) -> list[KeyNumber]:
    """The headline figures known for one server (none of them invented when absent)."""
    facts = server.facts
    found = []
    for name, label, unit in KEY_FACTS:
        # A switch is a key number when it is on; "no /3GB" on every server is not news.
        if name in facts and facts[name] is not None and facts[name] is not False:
            shown = format_value(facts[name])
            found.append(KeyNumber(label, f"{shown} {unit}".strip() if unit != "x" else f"{shown}x"))
    reasons = sorted(((v, n[len(REASON_COUNT[0]):-len(REASON_COUNT[1])]) for n, v in facts.items()
                      if n.startswith(REASON_COUNT[0]) and n.endswith(REASON_COUNT[1])), key=lambda t: (-t[0], t[1]))
    found += [KeyNumber(f"HTTPERR {reason}", format_value(count)) for count, reason in reasons]
    return found


def bar(confidence: float, width: int = 10, full: str = "#", empty: str = ".") -> str:
    """A fixed-width confidence bar.

    >>> bar(0.92), bar(0.15, 10, "\\u2588", "\\u2591")
    ('#########.', '\\u2588\\u2588\\u2591\\u2591\\u2591\\u2591\\u2591\\u2591\\u2591\\u2591')
    """
    filled = round(confidence * width)
    return full * filled + empty * (width - filled)


def server_title(report: Report, server: ServerDiagnosis) -> str | None:
    """Heading for a server's section, or None when the run has one unnamed server."""
    from ..hosts import UNNAMED_HOST

    if len(report.servers) > 1 or server.host != UNNAMED_HOST:
        return f"Server {server.host}"
    return None


REDACTED_NOTE = ("Redacted: addresses, host names, URL query strings, credentials, session ids, e-mail addresses "
                 "and tokens are replaced by placeholders (addr-N, host-N, query-N, cred-N, session-N, email-N, "
                 "token-N); the same placeholder means the same value.")


def problem_where(line: int) -> str:
    return f"line {line}" if line else "whole file"


def esc(text: object) -> str:
    """Untrusted text as HTML text: control characters dropped, markup escaped.

    >>> esc("<script>x</script>&\\x1b[2J")
    '&lt;script&gt;x&lt;/script&gt;&amp;[2J'
    """
    return escape(clean(str(text)), quote=True)


def no_cause_text(server: ServerDiagnosis) -> str:
    """Why a server has no ranked cause: nothing readable at all is not the same as a clean bill.

    >>> no_cause_text(ServerDiagnosis.model_construct(host="WEB01", inputs=["web01/httperr1.log"]))
    'No cause found with the evidence given.'
    >>> no_cause_text(ServerDiagnosis.model_construct(host="WEB01", inputs=[]))[:32]
    'No evidence could be read: none '
    """
    if server.inputs:
        return "No cause found with the evidence given."
    return ("No evidence could be read: none of the files given is in a known evidence format "
            "(each is listed under the evidence read, with the reason).")


NO_PROBLEM_FOUND = ("No problem found: nothing in this evidence is stronger than background noise (no cause "
                    "outside the benign ones reaches 30%). Anything listed below is worth a look at most.")


# Files were read, but none of a kind that records what happened to requests.
NO_SYMPTOM_EVIDENCE = ("No symptom evidence: none of the files given can show whether requests fail (there is no "
                       "HTTPERR log, IIS log, event log or perfmon capture), so they can show neither a problem "
                       "nor its absence. Collect the HTTPERR log and the System event log first: the next steps "
                       "below start with them.")


def outcome_text(server: ServerDiagnosis) -> str | None:
    """The line a report leads with when the evidence shows only background noise, or when
    nothing given could show a symptom at all (systeminfo alone is not a clean bill).

    >>> outcome_text(ServerDiagnosis.model_construct(inputs=["systeminfo.txt"], symptom_evidence=False))[:20]
    'No symptom evidence:'
    """
    if server.inputs and not server.symptom_evidence:
        return NO_SYMPTOM_EVIDENCE
    return NO_PROBLEM_FOUND if server.no_problem_found else None


def trigger_text(cause: CauseOut) -> str | None:
    """For a cause another one set off: which, so the help desk deals with that first."""
    if not cause.triggered_by:
        return None
    return f"Set off by {', '.join(cause.triggered_by)} (ranked above it): deal with that first."


# How much a reason counts, from the rule's certainty weighed by how much evidence there
# is of what it read: at least STRONG is a strong reason, at least MODERATE a moderate one.
STRONG, MODERATE = 0.7, 0.4


def weight_words(step: ReasoningStep) -> str:
    """How much one reason counts, in words a help desk reads (the signed certainty factor
    stays in the JSON): its strength, and "against" for evidence that speaks against the cause.

    >>> step = ReasoningStep(rule="R", title="t", text="x", certainty=0.85, direction="for")
    >>> weight_words(step), weight_words(step.model_copy(update={"certainty": -0.5, "direction": "against"}))
    ('Strong reason', 'Moderate reason against')
    >>> weight_words(step.model_copy(update={"certainty": 0.75, "strength": 0.11}))
    'Weak reason'
    """
    weight = abs(step.certainty) * (step.strength if step.strength is not None else 1.0)
    word = "Strong" if weight >= STRONG else "Moderate" if weight >= MODERATE else "Weak"
    return f"{word} reason" + (" against" if step.direction == "against" else "")


def strength_text(step: ReasoningStep) -> str:
    """How much evidence there is of what a rule read, when its conclusion was weighed by it.

    >>> strength_text(ReasoningStep(rule="R", title="t", text="x", certainty=0.75, direction="for",
    ...                             strength=0.11, strength_text="1 entry in 2 days of log"))
    ' (weighed by how much there is of it: 1 entry in 2 days of log)'
    """
    if step.strength is None or not step.strength_text:
        return ""
    return f" (weighed by how much there is of it: {step.strength_text})"


def reason_line(step: ReasoningStep) -> str:
    """One reasoning line as every form words it: how much it counts, then the reason."""
    return f"{weight_words(step)}: {step.text}{strength_text(step)}"


def ruled_out_why(item: RuledOut) -> str:
    """The reasons a cause was ruled out, as one run of sentences."""
    return " ".join(r.text for r in item.reasons) or "evidence against it"



# Next steps a report shows in full, and the things each says it finds out: the few that
# would tell most. The JSON lists every step and everything each finds out.
STEPS_SHOWN = 3
ASKS_SHOWN = 3
NEXT_STEPS_TITLE = "Next steps (the one that best tells the leading causes apart first)"
# With nothing above background noise there are no leading causes to tell apart: the steps
# are what would find a problem the evidence does not show.
NEXT_STEPS_TITLE_QUIET = "If users still see errors: the steps that would tell most (the most telling first)"


NEXT_STEPS_TITLE_NO_SYMPTOM = "Next steps: the evidence that can show a symptom first"


def next_steps_title(server: ServerDiagnosis) -> str:
    if server.inputs and not server.symptom_evidence:
        return NEXT_STEPS_TITLE_NO_SYMPTOM
    return NEXT_STEPS_TITLE_QUIET if server.no_problem_found else NEXT_STEPS_TITLE


def shown_steps(server: ServerDiagnosis) -> tuple[list[NextStep], str | None]:
    """The next steps a report shows, and a line for the ones it leaves to the JSON report.

    >>> steps = [NextStep(number=n, how="h", why="w", facts=[], asks=[], tells_apart=[], separation=0.1)
    ...          for n in range(1, 6)]
    >>> shown, rest = shown_steps(ServerDiagnosis.model_construct(next_steps=steps))
    >>> [s.number for s in shown], rest
    ([1, 2, 3], '2 more steps would tell less; the JSON report lists every step (--format json, next_steps).')
    """
    rest = len(server.next_steps) - STEPS_SHOWN
    if rest <= 0:
        return list(server.next_steps), None
    more = counted(rest, "more step")
    return (list(server.next_steps[:STEPS_SHOWN]),
            f"{more} would tell less; the JSON report lists every step (--format json, next_steps).")


def step_finds(step: NextStep) -> str:
    """What a next step finds out, in words: the first few things (those its best findings
    need come first) and how many more.

    >>> step_finds(NextStep(number=1, how="h", why="w", facts=[], asks=["a", "b", "c", "d", "e"], tells_apart=[],
    ...                     separation=0.1))
    'Find out: a; b; c; and 2 more'
    """
    shown = "; ".join(step.asks[:ASKS_SHOWN])
    more = len(step.asks) - ASKS_SHOWN
    return f"Find out: {shown}" + (f"; and {more} more" if more > 0 else "")


def command_spans(text: str) -> list[tuple[str, bool]]:
    """A collection text split into prose and the `commands` in it (True), backticks dropped,
    so each form can show a command as code.

    >>> command_spans("Run `netstat -ano` now"), command_spans("a ` b")
    ([('Run ', False), ('netstat -ano', True), (' now', False)], [('a ` b', False)])
    """
    parts = text.split("`")
    if len(parts) % 2 == 0:
        return [(text, False)]
    return [(part, i % 2 == 1) for i, part in enumerate(parts) if part]


GUESSED_SERVERS_TITLE = "Files that do not name their server"
# Under "Evidence read" when the report rests on a wizard's answers alone: no empty table.
NO_FILES_READ = "No evidence files were read."


def guessed_servers(report: Report, show=lambda path: path) -> list[str]:
    """One sentence per server and reason for the files that do not name their server:
    which files were put with it and why (`show` shortens a path for its medium).

    >>> from ..report import InputFile
    >>> report = Report.model_construct(inputs=[InputFile(path="a/httperr1.log", kind="httperr", host="WEB01",
    ...     host_reason="WEB01 is the only server the evidence names (b/systeminfo.txt)")])
    >>> guessed_servers(report)
    ['Put with WEB01 (1 file: a/httperr1.log) because WEB01 is the only server the evidence names (b/systeminfo.txt).']
    """
    from ..hosts import UNNAMED_HOST

    groups: dict[tuple[str, str], list[str]] = {}
    for item in report.inputs:
        if item.host_reason:
            groups.setdefault((item.host or "", item.host_reason), []).append(show(item.path))
    sentences = []
    for (host, reason), paths in groups.items():
        listed = ", ".join(paths[:3]) + (f" and {len(paths) - 3:,} more" if len(paths) > 3 else "")
        server = "an unnamed server" if host == UNNAMED_HOST else host
        sentences.append(f"Put with {server} ({counted(len(paths), 'file')}: {listed}) because {reason}.")
    return sentences
