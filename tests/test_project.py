"""The project's set-up files say one thing, in one place."""

from __future__ import annotations

import pytest
import yaml

from digitlib import config

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = config.PROJECT_DIR


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_installs_the_project_instead_of_repeating_it():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    pip_lists = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1, "one pip section that installs the project"
    assert any(line.startswith("-e .[") or line.startswith(".[") for line in pip_lists[0])
    runtime = {
        req.split(">")[0].split("=")[0].split("<")[0].strip().lower()
        for req in pyproject()["project"]["dependencies"]
    }
    conda_names = {
        str(d).split("=")[0].split(">")[0].strip().lower() for d in deps if isinstance(d, str)
    }
    assert not (runtime & conda_names), f"repeated in environment.yml: {runtime & conda_names}"


def test_dependencies_have_lower_bounds_not_pins():
    project = pyproject()["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += [r for r in extra if not r.startswith("digitlib")]
    for req in reqs:
        assert "==" not in req, f"exact pin: {req}"
        assert ">=" in req, f"no lower bound: {req}"
    assert any(
        r.startswith("jupyter-book") and "<2" in r for r in project["optional-dependencies"]["book"]
    )


def test_library_modules_and_functions_stay_small_enough_to_read():
    """Issue 18's yardstick: no module over 300 lines, no function over 60, and no TensorFlow in
    the data layer (chapter 1 loads MNIST without it)."""
    import ast

    for path in sorted((ROOT / "digitlib").glob("*.py")):
        source = path.read_text()
        assert len(source.splitlines()) <= 300, f"{path.name}: {len(source.splitlines())} lines"
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                assert length <= 60, f"{path.name}: {node.name} is {length} lines"
    names = []
    for node in ast.walk(ast.parse((ROOT / "digitlib" / "data.py").read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    assert not {name.split(".")[0] for name in names} & {"tensorflow", "keras"}, names
