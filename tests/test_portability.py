"""The book runs where readers are: Colab's packages, and the oldest versions pyproject allows.

The environments are built by ``make colab-env`` and ``make oldest-env`` (``.ci/run`` builds
both). Without them these tests skip, except in CI, where a skip would hide a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from digitlib import config

ROOT = config.PROJECT_DIR
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def environment(name: str) -> Path:
    """The Python of ``.venv-<name>``, or a skip (a failure in CI) when it is not built."""
    python = ROOT / f".venv-{name}" / "bin" / "python"
    if not python.is_file():
        message = f"run `make {name}-env` first: .venv-{name} is not built"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return python


def run(python: Path, code: str, **env: str) -> str:
    result = subprocess.run(
        [str(python), "-c", code],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env},
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


SCORE = """
import json, keras, numpy
from digitlib import data, saving
from digitlib.preprocess import to_model_input
model = saving.load()
_, (x, y) = data.load_mnist()
probs = model.predict(to_model_input(x), batch_size=500, verbose=0)
print(json.dumps({"keras": keras.__version__, "accuracy": float((probs.argmax(1) == y).mean()),
                  "n": len(y)}))
"""


def lower_bound(package: str) -> str:
    """The lowest version of ``package`` that pyproject.toml allows."""
    text = (ROOT / "pyproject.toml").read_text()
    match = re.search(rf'"{package}>=([0-9.]+)', text)
    assert match, f"pyproject.toml gives {package} no lower bound"
    return match.group(1)


def test_the_oldest_environment_has_the_lowest_versions_pyproject_allows():
    python = environment("oldest")
    out = run(
        python,
        "import json, importlib.metadata as m; "
        "print(json.dumps({p: m.version(p) for p in ('tensorflow', 'keras', 'numpy')}))",
    )
    versions = json.loads(out)
    for package, version in versions.items():
        assert version == lower_bound(package) or version.startswith(lower_bound(package) + ".")


def test_the_shipped_model_reads_the_quick_test_set_under_the_oldest_keras():
    result = json.loads(run(environment("oldest"), SCORE, DIGITLIB_QUICK="1"))
    assert result["keras"].startswith(lower_bound("keras"))
    assert result["n"] == 500 and result["accuracy"] >= 0.99


def test_the_shipped_model_reads_99_6_percent_of_mnist_under_the_oldest_keras(mnist_dir):
    result = json.loads(run(environment("oldest"), SCORE, DIGITLIB_DATA_DIR=str(mnist_dir)))
    assert result["n"] == 10_000 and result["accuracy"] >= 0.996


# --- Colab ------------------------------------------------------------------------------------

# What a Colab kernel has that a plain one does not: the google.colab module its set-up cell
# looks for. The rest of Colab (its packages) is the environment itself.
FAKE_COLAB = "import sys, types\nsys.modules['google.colab'] = types.ModuleType('google.colab')\n"
WATCHED = ("tensorflow", "keras", "numpy", "gradio", "ipython", "scipy", "matplotlib", "pillow")


def _freeze(python: Path) -> dict[str, str]:
    out = run(
        python,
        "import importlib.metadata as m; print('\\n'.join(sorted("
        "f\"{d.metadata['Name'].lower()}=={d.version}\" for d in m.distributions())))",
    )
    return dict(line.split("==", 1) for line in out.split())


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    """A kernel like Colab's and a repository to clone: the working tree, committed."""
    python = environment("colab")
    home = tmp_path_factory.mktemp("colab")
    repo = home / "digits-source"
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@localhost"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "working tree"], cwd=repo, check=True)

    ipython_dir = home / "ipython"
    (ipython_dir / "profile_default" / "startup").mkdir(parents=True)
    (ipython_dir / "profile_default" / "startup" / "00-colab.py").write_text(FAKE_COLAB)
    spec = home / "jupyter" / "kernels" / "colab"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Colab-like Python 3",
                "language": "python",
                "env": {
                    "IPYTHONDIR": str(ipython_dir),
                    "DIGITLIB_REPO": repo.as_uri(),
                    "DIGITLIB_QUICK": "1",
                    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
                },
            }
        )
    )
    before = _freeze(python)
    before.pop("digitlib", None)  # found through the current folder, this repository
    yield {"python": python, "jupyter_path": str(home / "jupyter"), "home": home}
    # Leave the environment as Colab ships it: without the digitlib each chapter installed.
    subprocess.run([str(python), "-m", "pip", "uninstall", "-q", "-y", "digitlib"], check=False)
    after = _freeze(python)
    after.pop("digitlib", None)
    assert after == before


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_chapter_runs_as_in_colab(colab, path, tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("JUPYTER_PATH", colab["jupyter_path"])
    content = tmp_path / "content"  # Colab's working folder: a fresh runtime for each chapter
    content.mkdir()
    nb = nbformat.read(path, as_version=4)
    probe = nbformat.v4.new_code_cell(
        "import digitlib, importlib.metadata as m, json\n"
        "print('PROBE', json.dumps({'digitlib': digitlib.__file__, "
        f"'versions': {{p: m.version(p) for p in {WATCHED!r}}}}}))"
    )
    nb.cells.append(probe)
    client = NotebookClient(
        nb, kernel_name="colab", timeout=900, resources={"metadata": {"path": str(content)}}
    )
    client.execute()
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    found = json.loads(text.split("PROBE", 1)[1])
    # digitlib is the copy the set-up cell cloned, not the repository running these tests
    assert Path(found["digitlib"]).resolve().is_relative_to(content.resolve())
    # and installing it changed none of Colab's packages (no reinstalled TensorFlow)
    colab_versions = _freeze_pins(ROOT / "tests" / "colab" / "pip-freeze.txt")
    for package, version in found["versions"].items():
        assert version == colab_versions[package], package


def _freeze_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            pins[name.strip().lower()] = version.strip()
    return pins


def test_the_colab_environment_is_colabs():
    """Python 3.13 (Colab's, per its os-info.txt) and Colab's versions of what the book uses."""
    python = environment("colab")
    assert run(python, "import sys; print('%d.%d' % sys.version_info[:2])").strip() == "3.13"
    installed = _freeze(python)
    pins = _freeze_pins(ROOT / "tests" / "colab" / "pip-freeze.txt")
    assert {p: installed[p] for p in WATCHED} == {p: pins[p] for p in WATCHED}
