"""From parsed evidence to named facts, each with where it came from and how.

Rules never see log lines: they see facts such as `memory.npp_free_mb = 19`, and the
report can show both the arithmetic (`how`) and the file:line evidence (`sources`).
All arithmetic lives here so the KB stays free of expressions.

One module per evidence source (`systeminfo`, `bootini`, `httperr`, ...) turns that
source's parsed files into facts and declares, in its `SOURCE`, every fact it can set
and its kind; `memory` and `limits` work out facts from other facts. `combine` runs
them in order and `catalogue` gathers the declarations.
"""
from .catalogue import catalogue
from .combine import derive_facts, evidence_facts, with_answers
from .memory import npp_limit_mb
from .merging import merge_stats
from .model import Fact, Facts, OverrideEvidence

__all__ = ["Fact", "Facts", "OverrideEvidence", "catalogue", "derive_facts", "evidence_facts", "merge_stats",
           "npp_limit_mb", "with_answers"]
