"""Only the optional compiled scanner lives here; everything else is in pyproject.toml.

`optional=True`: without a C compiler the install still succeeds and the HTTPERR
parser uses its pure-Python loop (same results, slower). `.ci/run` sets
HTTPERR_DOCTOR_REQUIRE_COMPILED=1 so CI notices if the build silently fails.
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension("httperr_doctor.engine.evidence._hotloop", ["engine/evidence/_hotloop.c"],
                             optional=True)])
