"""Keys given twice in one YAML mapping: YAML keeps the last without a word, so a KB
author who pastes a reference or a rule field twice would lose the first unseen."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import yaml


def duplicate_keys(node: yaml.Node | None) -> list[tuple[int, str]]:
    """A key given twice in one mapping, as (1-based line, message): YAML keeps only the last,
    so the first would vanish without a word.

    >>> import yaml
    >>> duplicate_keys(yaml.compose("refs:\\n  R1: a\\n  R2: b\\n  R1: c\\n"))
    [(4, "key 'R1' is given twice in this mapping (first on line 2): the later one would replace it")]
    """
    import yaml

    found: list[tuple[int, str]] = []
    waiting = [node] if node is not None else []
    while waiting:  # a walk without recursion: yaml_hazards has already bounded the depth
        current = waiting.pop()
        if isinstance(current, yaml.SequenceNode):
            waiting.extend(current.value)
        elif isinstance(current, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in current.value:
                line = key.start_mark.line + 1
                if isinstance(key, yaml.ScalarNode) and key.value in first:
                    found.append((line, f"key {key.value!r} is given twice in this mapping (first on line {first[key.value]}): "
                                        "the later one would replace it"))
                elif isinstance(key, yaml.ScalarNode):
                    first[key.value] = line
                waiting.append(value)
    return sorted(found)
