"""The knowledge base: YAML data plus the pydantic schema that validates it.

Nothing in this package runs rules; `httperr_doctor.engine.knowledge` loads it.
"""
from pathlib import Path

KB_DIR = Path(__file__).resolve().parent
