"""The wheel carries the knowledge and the typing marker; the code base stays lint-clean."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    return zipfile.ZipFile(next(out.glob("*.whl")))


def test_wheel_ships_knowledge_static_files_and_py_typed(wheel):
    names = set(wheel.namelist())
    for yaml_file in (ROOT / "knowledge").glob("*.yaml"):
        assert f"assistant/knowledge/{yaml_file.name}" in names
    assert "assistant/py.typed" in names
    for static_file in (ROOT / "assistant" / "static").iterdir():
        assert f"assistant/static/{static_file.name}" in names
    assert any(n.endswith("entry_points.txt") for n in names)


def test_installed_package_is_not_the_source_tree():
    import assistant

    if Path(assistant.__file__).parent.parent == ROOT:
        pytest.skip("running against an editable install")
    assert (Path(assistant.__file__).parent / "knowledge" / "faq.yaml").is_file()


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    done = subprocess.run([ruff, "check", "assistant", "tests", "benchmarks"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
