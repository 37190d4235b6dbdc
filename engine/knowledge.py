"""Load and validate the knowledge base (`kb/`), reporting every bad file at once.

YAML is read with the safe loader and each file is validated by its pydantic model;
problems carry the file and line so an engineer who does not read Python can fix them.

KB files are plain data, so before a file is composed its parse events are checked
(`yaml_hazards`): explicit tags (`!!python/object...`, `!custom`) would ask for object
construction, anchors and aliases allow "billion laughs" expansion, and deep flow
nesting overflows the composer's stack (libyaml's crashes the process); files over
`MAX_KB_FILE_BYTES` are refused unread. Any of these is a listed problem, never code run.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from pydantic import BaseModel, ValidationError

from httperr_doctor.kb import KB_DIR, schema
from httperr_doctor.kb.schema import (
    Cause, FactSpec, PhraseGroup, Question, ReasonPhrase, Reference, Rule, RuleCases,
)

from . import kbdata
from .kbcache import CachedLoader, cached_load
from .kbdata import MODEL_PARTS, models_from_data, models_to_data
from .yamlkeys import duplicate_keys

CASES_SUFFIX = ".cases.yaml"
MAX_KB_FILE_BYTES = 1024 * 1024
MAX_KB_NESTING = 20

if TYPE_CHECKING:
    import yaml


@lru_cache(maxsize=1)
def safe_loader() -> type:
    """libyaml's loader when PyYAML has it. PyYAML is imported on first use only: a
    diagnosis whose KB comes from the cache (engine/kbcache.py) never parses YAML."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


REASON_FACTS = {
    "count": ("number", "{r} entries in HTTPERR"),
    "lines": ("number", "HTTPERR lines with reason {r}"),
    "peak_per_minute": ("number", "Most {r} entries in any one minute"),
    "top_queue": ("string", "Application pool (s-queuename) named most often on {r} lines"),
    "queues": ("string", "Application pools (s-queuename) named on {r} lines, each with its number of entries"),
}
REASON_HOW = ("Copy the HTTPERR log of the last 2 days at a prompt run as administrator: "
              "`robocopy \"%SystemRoot%\\System32\\LogFiles\\HTTPERR\" HTTPERR httperr*.log /maxage:2 /r:0 /w:0` "
              "(Server 2003: `xcopy \"%SystemRoot%\\System32\\LogFiles\\HTTPERR\\httperr*.log\" HTTPERR\\ /c /y`; a log moved "
              "elsewhere is under the ErrorLoggingDir of reg-http-parameters.txt, see docs/COLLECTING.md step 8), "
              "and give the HTTPERR folder to httperr-doctor.")


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str
    # "error" fails `kb lint`; a "warning" is printed and does not.
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {'warning: ' if self.severity == 'warning' else ''}{self.message}"


class KBError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class KnowledgeBase:
    root: Path
    rules: dict[str, Rule] = field(default_factory=dict)
    causes: dict[str, Cause] = field(default_factory=dict)
    questions: dict[str, Question] = field(default_factory=dict)
    facts: dict[str, FactSpec] = field(default_factory=dict)
    references: dict[str, Reference] = field(default_factory=dict)
    phrases: dict[str, ReasonPhrase] = field(default_factory=dict)
    # kb/reason_phrases.yaml `families` (in report order) and `groups` (name -> phrases).
    families: tuple[str, ...] = ()
    phrase_groups: dict[str, frozenset[str]] = field(default_factory=dict)
    cases: dict[str, RuleCases] = field(default_factory=dict)
    # Where each item came from: ("rule", id) -> (path, line)
    origin: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)

    @cached_property
    def fact_types(self) -> dict[str, str]:
        """Fact name -> declared type, for the rule engine's type check (built once)."""
        return {name: spec.type for name, spec in self.facts.items()}

    @cached_property
    def fact_units(self) -> dict[str, str | None]:
        """Fact name -> display unit, for rendering placeholders (built once)."""
        return {name: spec.unit for name, spec in self.facts.items()}

    @cached_property
    def fact_defaults(self) -> dict[str, Any]:
        """Fact name -> the value that says nothing was configured or nothing happened.

        A declared `default` (a registry value left out), else 0 for a count (a fact named
        `.count` or `.lines`): "HTTP.sys answered 0 requests with 503" is no evidence.
        """
        counts = {name: 0 for name, spec in self.facts.items() if spec.type == "number" and name.endswith((".count", ".lines"))}
        return {**counts, **{name: spec.default for name, spec in self.facts.items() if spec.default is not None}}

    def question_for(self, fact: str) -> Question | None:
        return next((q for q in self.questions.values() if q.fact == fact), None)

    def rules_for(self, cause: str) -> list[Rule]:
        return [r for r in self.rules.values() if r.cause == cause]


class _Loader:
    def __init__(self, root: Path):
        self.root = root
        self.problems: list[Problem] = []

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def read(self, path: Path) -> tuple[Any, yaml.Node | None]:
        import yaml

        try:
            if path.stat().st_size > MAX_KB_FILE_BYTES:
                self.problems.append(Problem(self.rel(path), 0, f"file is over {MAX_KB_FILE_BYTES:,} bytes; a KB file is a short hand-written YAML file"))
                return None, None
            text = path.read_text(encoding="utf-8")
            hazards = yaml_hazards(text)
            if hazards:
                self.problems.extend(Problem(self.rel(path), line, message) for line, message in hazards)
                return None, None
            loader = safe_loader()(text)
            try:
                # One parse gives both the node tree (for line numbers) and the data.
                node = loader.get_single_node()
                repeated = duplicate_keys(node)
                if repeated:
                    self.problems.extend(Problem(self.rel(path), line, message) for line, message in repeated)
                    return None, None
                return (loader.construct_document(node) if node is not None else None), node
            finally:
                loader.dispose()
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            self.problems.append(Problem(self.rel(path), mark.line + 1 if mark else 0, f"not valid YAML: {getattr(error, 'problem', error)}"))
        except (OSError, UnicodeDecodeError) as error:
            self.problems.append(Problem(self.rel(path), 0, f"cannot read: {error}"))
        except RecursionError:
            self.problems.append(Problem(self.rel(path), 0, "not valid YAML: nested too deeply"))
        return None, None

    def validate(self, model: type[BaseModel], data: Any, node: yaml.Node | None, path: Path, prefix: tuple = ()) -> Any:
        try:
            return model.model_validate(data)
        except ValidationError as error:
            for item in error.errors():
                loc = prefix + tuple(item["loc"])
                where = ".".join(str(p) for p in loc) or "(top level)"
                self.problems.append(Problem(self.rel(path), line_of(node, loc), f"{where}: {item['msg']}"))
        return None

    def one_file(self, model: type[BaseModel], path: Path) -> Any:
        data, node = self.read(path)
        return None if data is None else self.validate(model, data, node, path)

    def one_per_file(self, kind: str, model: type[BaseModel], path: Path, store: dict, origin: dict) -> Any:
        """Load a file holding one item whose `id` must be unique and match the file name."""
        data, node = self.read(path)
        item = None if data is None else self.validate(model, data, node, path)
        if item is None:
            return None
        where = line_of(node, ("id",))
        if item.id in store:
            self.problems.append(Problem(self.rel(path), where, f"duplicate {kind} id {item.id!r} (also in {origin[(kind, item.id)][0]})"))
            return None
        if path.stem != item.id:
            self.problems.append(Problem(self.rel(path), where, f"file name must be the {kind} id: {item.id}.yaml"))
        store[item.id] = item
        origin[(kind, item.id)] = (self.rel(path), where)
        return item

    def mapping_file(self, path: Path, model: type[BaseModel], key: str | None = None) -> Iterable[tuple[str, Any, int]]:
        data, node = self.read(path)
        if data is not None:
            yield from self.mapping_items(path, data, node, model, key)

    def mapping_items(self, path: Path, data: Any, node: yaml.Node | None, model: type[BaseModel],
                      key: str | None = None) -> Iterable[tuple[str, Any, int]]:
        """Validate each item of a mapping (the one under `key` when given) with `model`."""
        if key is not None:
            if not isinstance(data, dict) or key not in data:
                self.problems.append(Problem(self.rel(path), 1, f"expected a top-level `{key}:` mapping"))
                return
            data, node = data[key], _child(node, key)
        if not isinstance(data, dict):
            self.problems.append(Problem(self.rel(path), line_of(node, ()) or 1, "expected a mapping"))
            return
        for name, value in data.items():
            item = self.validate(model, value, _child(node, name), path, (str(name),))
            if item is not None:
                yield str(name), item, line_of(node, (name,))


def yaml_hazards(text: str, files: str = "KB files") -> list[tuple[int, str]]:
    """What makes a YAML text unsafe to compose as plain data: (1-based line, message) each.

    The parser emits events without recursion, so this check is safe on any input.
    `files` names what the text is for the messages (saved wizard sessions use it too).

    >>> yaml_hazards("a: &x [1]\\nb: *x\\nc: !!python/name:os.system x\\n")
    [(1, 'YAML anchors (&x) are not allowed in KB files'), (2, 'YAML aliases (*x) are not allowed in KB files'), (3, 'YAML tags (!!python/name:os.system) are not allowed in KB files')]
    """
    import yaml

    found: list[tuple[int, str]] = []
    depth = 0
    try:
        for event in yaml.parse(text, Loader=safe_loader()):
            line = event.start_mark.line + 1
            if isinstance(event, yaml.AliasEvent):
                found.append((line, f"YAML aliases (*{event.anchor}) are not allowed in {files}"))
                continue
            if getattr(event, "anchor", None):
                found.append((line, f"YAML anchors (&{event.anchor}) are not allowed in {files}"))
            tag = getattr(event, "tag", None)
            if tag:
                shown = tag.replace("tag:yaml.org,2002:", "!!")
                found.append((line, f"YAML tags ({shown}) are not allowed in {files}"))
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_KB_NESTING:
                    found.append((line, f"nested more than {MAX_KB_NESTING} levels deep"))
                    break
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            if len(found) >= 20:
                break
    except yaml.YAMLError:
        pass  # reported with its line by the loader that follows
    return found[:20]


def _child(node: yaml.Node | None, key: Any) -> yaml.Node | None:
    import yaml

    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == str(key):
                return v
    elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return node.value[key]
    return None


def line_of(node: yaml.Node | None, loc: tuple) -> int:
    """1-based line of the deepest node of `loc` that exists in the YAML tree."""
    best = node.start_mark.line + 1 if node is not None else 0
    for key in loc:
        node = _child(node, key)
        if node is None:
            break
        best = node.start_mark.line + 1
    return best


def _load_phrases(loader: _Loader, kb: KnowledgeBase, path: Path) -> None:
    """The reason-phrase vocabulary: families, groups and phrases, each checked against the others."""
    data, node = loader.read(path)
    if data is None:
        return
    where = loader.rel(path)
    families = data.get("families") if isinstance(data, dict) else None
    if not (isinstance(families, list) and families and all(isinstance(f, str) for f in families)):
        loader.problems.append(Problem(where, line_of(node, ("families",)), "expected `families:` as a list of names"))
        families = []
    kb.families = tuple(families)
    for name, phrase, line in loader.mapping_items(path, data, node, ReasonPhrase, "phrases"):
        if phrase.family not in kb.families:
            loader.problems.append(Problem(where, line_of(node, ("phrases", name, "family")),
                                           f"{name}: family {phrase.family!r} is not one of the `families`"))
        kb.phrases[name] = phrase
        kb.origin[("phrase", name)] = (where, line)
        for suffix, (kind, text) in REASON_FACTS.items():
            kb.facts.setdefault(f"httperr.reason.{name}.{suffix}", FactSpec(type=kind, description=text.format(r=name), how=REASON_HOW))
    for name, group, line in loader.mapping_items(path, data, node, PhraseGroup, "groups"):
        unknown = [p for p in group.phrases if p not in kb.phrases]
        if unknown:
            loader.problems.append(Problem(where, line, f"group {name} names unknown {'phrase' if len(unknown) == 1 else 'phrases'} {', '.join(unknown)}"))
        kb.phrase_groups[name] = frozenset(group.phrases)
        kb.origin[("phrase_group", name)] = (where, line)


def load_kb(root: Path = KB_DIR) -> KnowledgeBase:
    loader = _Loader(root)
    kb = KnowledgeBase(root=root)

    for name, spec, line in loader.mapping_file(root / "facts.yaml", FactSpec, "facts"):
        kb.facts[name] = spec
        kb.origin[("fact", name)] = (loader.rel(root / "facts.yaml"), line)
    for name, ref, line in loader.mapping_file(root / "references.yaml", Reference, "references"):
        kb.references[name] = ref
    _load_phrases(loader, kb, root / "reason_phrases.yaml")

    for kind, folder, model, store in (
        ("cause", "causes", Cause, kb.causes),
        ("question", "questions", Question, kb.questions),
        ("rule", "rules", Rule, kb.rules),
    ):
        for path in sorted((root / folder).rglob("*.yaml")):
            if path.name.endswith(CASES_SUFFIX):
                continue
            item = loader.one_per_file(kind, model, path, store, kb.origin)
            if kind == "rule" and item is not None:
                twin = path.with_name(path.stem + CASES_SUFFIX)
                cases = loader.one_file(RuleCases, twin) if twin.exists() else None
                if cases is not None:
                    kb.cases[item.id] = cases
                    kb.origin[("cases", item.id)] = (loader.rel(twin), 1)

    if loader.problems:
        raise KBError(loader.problems)
    return kb


def kb_to_data(kb: KnowledgeBase) -> dict:
    """A validated KB as plain JSON-able data (every field written, defaults too)."""
    data: dict[str, Any] = {part: models_to_data(getattr(kb, part)) for part in MODEL_PARTS}
    data["origin"] = [[kind, name, path, line] for (kind, name), (path, line) in kb.origin.items()]
    data["families"] = list(kb.families)
    data["phrase_groups"] = {name: sorted(group) for name, group in kb.phrase_groups.items()}
    return data


def kb_from_data(root: Path, data: dict) -> KnowledgeBase:
    """The KB again from `kb_to_data`'s output, without re-validating: the data was
    validated when it was written, and building models directly keeps the cache as fast
    as loading a pickle while nothing in it can run code."""
    parts = {part: models_from_data(model, data[part]) for part, model in MODEL_PARTS.items()}
    origin = {(kind, name): (path, line) for kind, name, path, line in data["origin"]}
    groups = {name: frozenset(phrases) for name, phrases in data["phrase_groups"].items()}
    return KnowledgeBase(root=root, origin=origin, families=tuple(data["families"]), phrase_groups=groups, **parts)


KB_CACHE = CachedLoader(load=load_kb, to_data=kb_to_data, from_data=kb_from_data,
                        code_files=(schema.__file__, __file__, kbdata.__file__))


def cached_kb(root: Path = KB_DIR) -> KnowledgeBase:
    """`load_kb(root)`, from the validated-KB cache when every KB file is unchanged (engine/kbcache.py)."""
    return cached_load(root, KB_CACHE)


@lru_cache(maxsize=1)
def default_kb() -> KnowledgeBase:
    return cached_kb(KB_DIR)


def loaded_default_kb() -> KnowledgeBase | None:
    """The default KB if this process has loaded it already; never loads it."""
    return default_kb() if default_kb.cache_info().currsize else None
