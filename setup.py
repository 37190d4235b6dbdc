"""Only the optional compiled scanner and a clean copy of the package live here; everything
else is in pyproject.toml.

`optional=True`: without a C compiler the install still succeeds and the HTTPERR
parser uses its pure-Python loop (same results, slower). `.ci/run` sets
HTTPERR_DOCTOR_REQUIRE_COMPILED=1 so CI notices if the build silently fails.

`FreshBuildPy`: `pip install .` from a working copy builds in its `build/` folder, and
setuptools only ever adds to it, so a rule or module deleted from the tree would still be
installed from an earlier build's copy. The package's copy is made afresh each build.
"""
import os
import shutil

from setuptools import Extension, setup
from setuptools.command.build_py import build_py


class FreshBuildPy(build_py):
    def run(self):
        shutil.rmtree(os.path.join(self.build_lib, "httperr_doctor"), ignore_errors=True)
        super().run()


setup(cmdclass={"build_py": FreshBuildPy},
      ext_modules=[Extension("httperr_doctor.engine.evidence._hotloop", ["engine/evidence/_hotloop.c"],
                             optional=True)])
