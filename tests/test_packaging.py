"""An installed package (a wheel, ``pip install .``), not only the checkout, has its search
spaces: the default one, and the others by name."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

from conftest import ROOT

SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "jobsearch", "search_spaces")


def test_a_built_wheel_ships_the_search_spaces_and_finds_them_by_name(tmp_path):
    source = tmp_path / "source"  # built from a copy: the checkout gets no build/ or egg-info
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__py*"))
        else:
            shutil.copy2(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("jobsearch-*.whl")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    assert {p.name for p in (site / "jobsearch" / "search_spaces").iterdir()} >= {
        "default.yaml",
        "seed.yaml",
        "README.md",
    }
    script = (
        "import jobsearch; from jobsearch.search import DEFAULT_SPACE; "
        "from jobsearch.search.space import load_space; "
        "print(jobsearch.__file__); print(DEFAULT_SPACE); load_space(DEFAULT_SPACE); "
        "print(len(load_space('seed').seed_points))"
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,  # no search_spaces/ here
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    module, space, seeds = run.stdout.split()
    assert module.startswith(str(site)) and space == str(
        site / "jobsearch/search_spaces/default.yaml"
    )
    assert int(seeds) > 0
