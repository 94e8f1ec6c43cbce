"""The GitHub Actions workflows pass actionlint and do what the README says they do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from digitlib import config

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = Path(sys.executable).parent / "actionlint"  # from the dev extra


def actionlint(*paths: Path) -> subprocess.CompletedProcess:
    if not ACTIONLINT.exists():
        pytest.fail(f"{ACTIONLINT} is missing: make install (the dev extra installs actionlint)")
    cmd = [str(ACTIONLINT), "-no-color", *map(str, paths)]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120)


def workflow(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def steps(job: dict) -> str:
    return "\n".join(str(s.get("run", "")) + " " + str(s.get("uses", "")) for s in job["steps"])


def test_workflows_pass_actionlint():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert len(files) == 2
    run = actionlint(*files)
    assert run.returncode == 0, run.stdout + run.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.nonexistent_context }}\n      - uses: actions/cache@v5\n"
    )
    run = actionlint(broken)
    assert run.returncode != 0
    assert 'missing input "key"' in run.stdout


def test_book_workflow_tests_builds_and_deploys_on_main():
    wf = workflow("book.yml")
    assert wf["on"]["push"]["branches"] == ["main"]
    build, deploy = wf["jobs"]["build"], wf["jobs"]["deploy"]
    text = steps(build)
    assert "bash .ci/run" in text and "make book" in text
    assert "actions/upload-pages-artifact" in text
    cached = [s["with"]["path"] for s in build["steps"] if "actions/cache" in s.get("uses", "")]
    assert "book/_build/.jupyter_cache" in cached, "the full build reuses executed chapters"
    assert deploy["needs"] == "build" and "actions/deploy-pages" in steps(deploy)
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}


def test_pull_request_workflow_builds_the_quick_book():
    wf = workflow("pull-request.yml")
    assert "pull_request" in wf["on"]
    (job,) = wf["jobs"].values()
    assert "make book-quick" in steps(job)


def test_readme_says_where_the_book_is_published_and_how_to_publish_a_fork():
    readme = (ROOT / "README.md").read_text()
    assert config.BOOK_URL == "https://digits-book.github.io/digits/"
    assert config.BOOK_URL in readme
    assert "fork" in readme.lower() and "GitHub Actions" in readme
