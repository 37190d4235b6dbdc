"""The `httperr-doctor` command: parse arguments, call the engine, hand the result to a renderer.

Exit codes: 0 a report was produced (a path given that does not exist, beside ones that
do, is named in a warning on stderr and listed in the report); 2 usage error (bad arguments, no evidence
path exists, `wizard` without a terminal); 3 internal error (one line on stderr,
details in a log file); 4 the knowledge base is invalid; 130 interrupted (the
wizard saves its session first).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_USAGE, EXIT_INTERNAL, EXIT_KB = 0, 2, 3, 4
EXIT_CODES_HELP = """exit codes:
  0  a report was produced (files it could not read are listed in it)
  2  usage error: bad arguments (--jobs 1..4 per core, --steps 0..100, --tz -12:00..+14:00),
     no evidence path exists, no file given is evidence (each is listed with the reason),
     a session file refused, the --output file or standard output cannot be written
  3  internal error: one line on stderr says where the details were written
  4  the knowledge base is invalid (kb lint lists every problem)
  130  interrupted with Ctrl-C (the wizard saves its session first and says how to resume)
A path that does not exist beside ones that do: a warning on stderr names it, the report
lists it as missing, and the exit code is that of the rest (0 when a report was produced)."""
MAX_STEPS = 100
MAX_JOBS_PER_CORE = 4
FORMATS = ("text", "markdown", "json", "html")
NOT_EVIDENCE = frozenset({"manifest"})  # read, but it sets no fact
SESSION_FILE = "httperr-doctor-session.yaml"
REPORT_FILE = "httperr-doctor-report.txt"
NO_TERMINAL = ("httperr-doctor wizard: needs an interactive terminal (standard input and output). "
               "Without one, use `httperr-doctor diagnose PATH...` for a report from evidence files, "
               "or `httperr-doctor wizard --answers FILE` to replay a saved session.")


class _Version(argparse.Action):
    """`--version`, reading the installed version only when asked (every other run starts faster)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        from httperr_doctor.engine.assemble import tool_version

        sys.stdout.write(f"httperr-doctor {tool_version()}\n")
        parser.exit()


def _parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Arguments; one a command does not know is reported with that command's usage, not the top level's."""
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        command = parser.command_parsers.get(args.command, parser)
        if args.command == "kb" and getattr(args, "kb_command", None):
            command = command.command_parsers.get(args.kb_command, command)
        command.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="httperr-doctor",
        description="Find out why HTTP.sys / IIS refuses or drops connections, and how to fix it.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parser.command_parsers = sub.choices  # so an argument error names the command's own usage
    # Every command that runs the rules can choose the engine (HTTPERR_DOCTOR_ENGINE does the same).
    engine = argparse.ArgumentParser(add_help=False)
    engine.add_argument("--engine", choices=("auto", "durable", "reference"), default=None,
                        help="rule engine: durable-rules, the pure-Python reference evaluator, or auto "
                             "(default: HTTPERR_DOCTOR_ENGINE, else durable-rules when it is installed)")

    diagnose = sub.add_parser("diagnose", parents=[engine], help="diagnose from evidence files or folders")
    diagnose.add_argument("paths", nargs="+", metavar="PATH", help="HTTPERR logs, poolmon output, boot.ini, systeminfo, IIS logs, or folders of them")
    diagnose.add_argument("--format", "-f", choices=FORMATS, default="text",
                          help="report form (default: text; in colour on a terminal unless NO_COLOR is set)")
    diagnose.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of standard output")
    diagnose.add_argument("--steps", type=int, default=1, metavar="N", help="show remediation steps for the top N causes (text and markdown forms)")
    diagnose.add_argument("--redact", action="store_true",
                          help="replace client and server addresses, host names and URL query strings with placeholders "
                               "(same value, same placeholder) so the report can go to a vendor; applies to every form")
    diagnose.add_argument("--tz", metavar="ZONE", help="time zone of the servers' local times (event logs) when systeminfo does not say: +01:00, -0500, UTC or Europe/Berlin")
    diagnose.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                          help="processes that parse files (default: every core when there is a lot to read)")

    wizard = sub.add_parser("wizard", parents=[engine], help="guided diagnosis: evidence first, then only the questions that matter")
    wizard.add_argument("paths", nargs="*", metavar="EVIDENCE", help="evidence files or folders to start from (optional)")
    wizard.add_argument("--answers", metavar="FILE", help="replay a saved session without a terminal and print its report")
    wizard.add_argument("--resume", nargs="?", const=SESSION_FILE, metavar="FILE", help=f"continue a saved session (default {SESSION_FILE})")
    wizard.add_argument("--session", default=SESSION_FILE, metavar="FILE", help=f"where Ctrl-C saves the session (default {SESSION_FILE})")
    wizard.add_argument("--report", "-o", metavar="FILE", help=f"where the final report is written (default {REPORT_FILE}; .md, .html, .json choose the form; with --answers: standard output)")
    wizard.add_argument("--format", "-f", choices=FORMATS, default="text", help="report form for --answers (default: text)")
    wizard.add_argument("--redact", action="store_true", help="with --answers: replace addresses, host names and URL query strings (see diagnose --redact)")

    sub.add_parser("schema", help="print the JSON Schema of the --format json report")

    kb = sub.add_parser("kb", help="knowledge-base tools")
    kb_sub = kb.add_subparsers(dest="kb_command", metavar="KB_COMMAND")
    kb.command_parsers = kb_sub.choices
    kb_sub.add_parser("lint", parents=[engine], help="check every KB file and report problems with file and line")
    kb_sub.add_parser("coverage", help="list every known HTTPERR reason phrase and the rules that use it")
    return parser


class UsageError(Exception):
    """The command cannot do what was asked (exit 2), e.g. the output file cannot be written."""


def _write(text: str, output: str | None, form: str = "text") -> None:
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as error:
            raise UsageError(f"cannot write {output}: {error.strerror or error}") from error
        return
    from .output import write_stdout

    try:
        write_stdout(text, form)
    except BrokenPipeError:
        raise
    except OSError as error:
        _silence_stdout()  # what is still buffered would fail again at exit
        raise UsageError(f"cannot write the report to standard output: {error.strerror or error}") from error


def _render(report, args) -> str:
    from .startup import render_report

    return render_report(report, args.format, args.steps, args.output, getattr(args, "redact", False))


def _cmd_diagnose(args) -> int:
    from httperr_doctor.engine.ingest import read_inputs

    from .progress import reading_progress
    from .startup import collector_paused, prepare_diagnosis

    missing = [p for p in args.paths if not os.path.exists(p)]
    if len(missing) == len(args.paths):
        print(f"httperr-doctor: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    for path in missing:
        print(f"httperr-doctor: warning: no such file or folder: {path} (left out; the report lists it as missing)",
              file=sys.stderr)
    zone = None
    if args.tz:
        from httperr_doctor.engine.timezones import parse_tz_option

        try:
            zone = parse_tz_option(args.tz)
        except ValueError as error:
            print(f"httperr-doctor: --tz: {error}", file=sys.stderr)
            return EXIT_USAGE
    with reading_progress(sys.stderr) as progress:
        files = read_inputs(args.paths, progress, args.jobs, meanwhile=lambda: prepare_diagnosis(args.process_start))
    if not any(f.result is not None and f.kind not in NOT_EVIDENCE for f in files):
        _say_no_evidence(files, args.redact)
        return EXIT_USAGE
    from httperr_doctor.engine.diagnosis import diagnose_files

    with collector_paused(args.process_start):
        report = diagnose_files(files, zone=zone)
        del files  # the parsed aggregates (a farm's year of minutes): the report form reuses their memory
        text = _render(report, args)
    _write(text, args.output, args.format)
    return EXIT_OK


def _say_no_evidence(files, redact: bool, most: int = 20) -> None:
    """A run with nothing to reason on says so in one line, then why each file was left out."""
    from httperr_doctor.engine.plurals import counted
    from httperr_doctor.engine.render.common import clean

    print(f"httperr-doctor: no evidence to diagnose: {counted(len(files), 'file')} found, none in a format it reads "
          "(see docs/COLLECTING.md for what to collect)", file=sys.stderr)
    if redact:
        return
    for f in files[:most]:
        why = f" ({f.error})" if f.error else ""
        print(clean(f"  {f.path}: {f.kind}{why}"), file=sys.stderr)
    if len(files) > most:
        print(f"  and {len(files) - most} more", file=sys.stderr)


def _cmd_wizard(args) -> int:
    from httperr_doctor.wizard.replay import check_session
    from httperr_doctor.wizard.session import Session, SessionError, load_session

    missing = [p for p in args.paths if not os.path.exists(p)]
    if missing:
        print(f"httperr-doctor: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        session = load_session(args.answers or args.resume) if (args.answers or args.resume) else Session()
    except SessionError as error:
        print(f"httperr-doctor: {error}", file=sys.stderr)
        return EXIT_USAGE
    problems = check_session(session)
    if problems:
        print("httperr-doctor: cannot use this session:\n  " + "\n  ".join(problems), file=sys.stderr)
        return EXIT_USAGE
    session.evidence += [p for p in args.paths if p not in session.evidence]
    if args.answers:
        return _replay_session(args, session)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(NO_TERMINAL, file=sys.stderr)
        return EXIT_USAGE
    return _interview(args, session)


def _replay_session(args, session) -> int:
    """`wizard --answers FILE`: the saved session's report, with no terminal."""
    from httperr_doctor.wizard.replay import replay

    gone = [p for p in session.evidence if not os.path.exists(p)]
    if gone:
        from httperr_doctor.engine.plurals import counted
        from httperr_doctor.engine.render.common import clean

        shown = f"{counted(len(gone), 'path')}, not shown with --redact" if args.redact else clean(", ".join(gone))
        print(f"httperr-doctor: evidence named in the session is missing: {shown}", file=sys.stderr)
    report = replay(session)
    args.output, args.steps = args.report, 1
    _write(_render(report, args), args.report, args.format)
    return EXIT_OK


def _interview(args, session) -> int:
    """The wizard on this terminal (questionary prompts, at most 100 columns wide)."""
    import shutil

    from httperr_doctor.wizard.interactive import Console, Wizard
    from httperr_doctor.wizard.prompts import questionary_ask

    from .startup import colour_terminal, session_heap_settled

    console = Console(questionary_ask(), sys.stdout, width=min(shutil.get_terminal_size((80, 24)).columns, 100),
                      colour=colour_terminal(None))
    wizard = Wizard(console, session, session_path=args.resume or args.session, report_path=args.report or REPORT_FILE,
                    lookahead=True, settled=session_heap_settled if args.process_start else lambda: None)
    return wizard.run(gather=not (session.evidence or session.answers))


def _cmd_schema(args) -> int:
    from httperr_doctor.engine.render.json_report import json_schema

    sys.stdout.write(json_schema())
    return EXIT_OK


def _cmd_kb(args) -> int:
    from httperr_doctor.engine.knowledge import KBError, load_kb
    from httperr_doctor.engine.lint import lint
    from httperr_doctor.engine.plurals import counted

    try:
        kb = load_kb()
    except KBError as error:
        for problem in error.problems:
            print(problem)
        return EXIT_KB
    if args.kb_command == "coverage":
        return _kb_coverage(kb)
    problems = lint(kb)
    for problem in problems:
        print(problem)
    errors = [p for p in problems if p.severity == "error"]
    warnings = len(problems) - len(errors)
    print(f"{counted(len(kb.rules), 'rule')}, {counted(len(kb.causes), 'cause')}, {counted(len(kb.questions), 'question')}, "
          f"{counted(len(errors), 'problem')}" + (f", {counted(warnings, 'warning')}" if warnings else ""))
    return EXIT_KB if errors else EXIT_OK


def _kb_coverage(kb) -> int:
    """Every reason phrase, what it is, and the rules (with their causes) that read it."""
    from httperr_doctor.engine.lint import phrase_usage

    usage = phrase_usage(kb)
    for name in sorted(kb.phrases, key=str.lower):
        phrase = kb.phrases[name]
        tags = [phrase.family, f"status {phrase.status}"] + (["benign"] if phrase.benign else []) + \
            ([] if phrase.documented else ["undocumented"])
        print(f"{name}  ({', '.join(tags)})  -> {', '.join(phrase.causes)}")
        for rule_id, via in usage[name]:
            rule = kb.rules[rule_id]
            print(f"    {rule.certainty:+.2f} {rule_id} [{rule.cause}] via {via}")
        if not usage[name]:
            print("    (no rule uses it)")
    covered = sum(1 for rules in usage.values() if rules)
    print(f"{covered} of {len(usage)} reason phrases are used by at least one rule")
    return EXIT_OK if covered == len(usage) else EXIT_KB


COMMANDS = {"diagnose": _cmd_diagnose, "wizard": _cmd_wizard, "schema": _cmd_schema, "kb": _cmd_kb}


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = _parse(parser, argv)
    args.process_start = argv is None  # the console script: this process runs one command
    if args.command is None or (args.command == "kb" and args.kb_command is None):
        parser.print_help()
        return EXIT_USAGE
    try:
        _check_usage(args)
        if hasattr(args, "engine"):
            from httperr_doctor.engine.rule_engines import force_engine

            force_engine(args.engine)
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("httperr-doctor: interrupted", file=sys.stderr)
        return 130
    except UsageError as error:
        print(f"httperr-doctor: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ImportError as error:
        print(f"httperr-doctor: {error}", file=sys.stderr)
        return EXIT_INTERNAL
    except BrokenPipeError:
        # The reader went away (`| head`): not an error worth a message.
        _silence_stdout()
        return EXIT_OK
    except Exception as error:  # noqa: BLE001 - a help-desk person must never see a raw traceback
        problems = _kb_problems(error)
        if problems is not None:
            print("httperr-doctor: the knowledge base is invalid:", *problems, sep="\n  ", file=sys.stderr)
            return EXIT_KB
        print(f"httperr-doctor: internal error ({_one_line(error)}); {_write_crash_log()}", file=sys.stderr)
        return EXIT_INTERNAL


def _kb_problems(error: BaseException) -> list | None:
    """Each problem of a knowledge base that did not load, or None for any other error.

    Whoever edited the KB needs the file, line and what is wrong with each, as `kb lint`
    gives them, not an internal error and a crash log. The module is looked up, not
    imported: if it raised a KBError it is loaded already.
    """
    knowledge = sys.modules.get("httperr_doctor.engine.knowledge")
    return list(error.problems) if knowledge is not None and isinstance(error, knowledge.KBError) else None


def _check_usage(args) -> None:
    """Mistakes argparse cannot see: counts out of range, nowhere to write the report."""
    if sys.stdout is None and not (getattr(args, "output", None) or getattr(args, "report", None)):
        raise UsageError("standard output is closed, so the report has nowhere to go; name a file with --output")
    if sys.stdout is not None:
        from .output import tolerate

        tolerate(sys.stdout)
    steps = getattr(args, "steps", None)
    if steps is not None and not 0 <= steps <= MAX_STEPS:
        raise UsageError(f"--steps must be between 0 and {MAX_STEPS}, not {steps}")
    jobs = getattr(args, "jobs", None)
    if jobs is not None:
        most = MAX_JOBS_PER_CORE * (os.cpu_count() or 1)
        if not 1 <= jobs <= most:
            raise UsageError(f"--jobs must be between 1 and {most} ({MAX_JOBS_PER_CORE} per core on this machine), not {jobs}")


def _one_line(error: BaseException) -> str:
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text if len(text) <= 200 else text[:199] + "..."


def _write_crash_log() -> str:
    """Write the traceback to a temp file and say where; never raise from here."""
    import tempfile  # only on a crash: every command starts faster without them
    import traceback

    try:
        handle, log = tempfile.mkstemp(prefix="httperr-doctor-crash-", suffix=".log")
        with os.fdopen(handle, "w", encoding="utf-8", errors="backslashreplace") as stream:
            stream.write(f"httperr-doctor {' '.join(sys.argv[1:])}\n\n")
            stream.write(traceback.format_exc())
        return f"details written to {log}"
    except Exception as error:  # noqa: BLE001
        return f"the details could not be written to a temp file ({error})"


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
