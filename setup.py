"""Everything about the package is in pyproject.toml; this only ships ``search_spaces/`` inside
an installed package (``jobsearch/search_spaces/``), so ``pip install .`` or a wheel finds its
default space. An editable install reads the folder where it is."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SPACES = Path(__file__).resolve().parent / "search_spaces"


class BuildPy(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        found = sorted(SPACES.glob("*.yaml"))
        if not found:
            raise SystemExit(f"{SPACES}: no search spaces to ship (is MANIFEST.in in the sdist?)")
        target = Path(self.build_lib) / "jobsearch" / "search_spaces"
        target.mkdir(parents=True, exist_ok=True)
        for path in [*found, SPACES / "README.md"]:
            shutil.copy2(path, target / path.name)


setup(cmdclass={"build_py": BuildPy})
