"""`make run` for a newcomer: what it installs, where it serves, what `make demo` turns on.

The real Makefile runs with a stand-in for the virtualenv whose `python`, `ruff` and
`lint-imports` only write down how they were called, so nothing is installed nor served.
"""

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAKE = '#!/bin/sh\necho "$(basename "$0") LOCAL_TRIAL=${LOCAL_TRIAL:-} $*" >> "$CALLS"\n'


def make(tmp_path, *arguments, fake=FAKE, environment=None):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    for name in ("python", "ruff", "lint-imports"):
        script = venv / "bin" / name
        script.write_text(fake)
        script.chmod(0o755)
    calls = tmp_path / "calls.txt"
    calls.write_text("")
    unset = {"PORT", "LOCAL_TRIAL", "SITE_URL"}
    environment = {k: v for k, v in os.environ.items() if k not in unset} | (environment or {})
    result = subprocess.run(
        [shutil.which("make"), "--no-print-directory", *arguments,
         f"VENV={venv}", f"PYTHON={venv}/bin/python"],
        cwd=ROOT,
        env=environment | {"CALLS": str(calls)},
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout, calls.read_text().splitlines()


def installs(calls):
    return [call for call in calls if " pip install " in call and "--upgrade pip" not in call]


def test_make_run_installs_the_project_without_the_dev_extras(tmp_path):
    _, calls = make(tmp_path, "run")
    assert installs(calls) == ["python LOCAL_TRIAL= -m pip install --quiet --no-compile -e ."]
    assert not any("--upgrade pip" in call for call in calls)  # the venv's own pip will do
    # `load` has just migrated: the server does not check again before serving.
    assert "python LOCAL_TRIAL= manage.py runserver --skip-checks 127.0.0.1:8000" in calls


def test_make_run_serves_on_the_port_given(tmp_path):
    output, calls = make(tmp_path, "run", "PORT=8001")
    assert "python LOCAL_TRIAL= manage.py runserver --skip-checks 127.0.0.1:8001" in calls
    assert "http://127.0.0.1:8001/admin/" in output


SITE_URL_FAKE = '#!/bin/sh\necho "$(basename "$0") SITE_URL=${SITE_URL:-} $*" >> "$CALLS"\n'


def test_make_run_gives_the_links_of_emails_the_address_it_serves_on(tmp_path):
    _, calls = make(tmp_path, "run", "PORT=8301", fake=SITE_URL_FAKE)
    # The worker (in the background) and the server share the recipe's environment.
    server = [call for call in calls if "runserver" in call]
    assert server == [
        "python SITE_URL=http://127.0.0.1:8301 manage.py runserver --skip-checks 127.0.0.1:8301"
    ]
    # A public address given by the operator wins.
    public = {"SITE_URL": "https://barometre.example.fr"}
    _, calls = make(tmp_path, "run", fake=SITE_URL_FAKE, environment=public)
    assert all("SITE_URL=https://barometre.example.fr" in c for c in calls if "manage.py" in c)


def test_make_run_starts_the_mail_worker_beside_the_web_server_and_stops_it_after(tmp_path):
    # A dry run: the worker is a background job, which the stand-in cannot wait for.
    output, _ = make(tmp_path, "--dry-run", "run")
    recipe = output.splitlines()[-1]
    # run_worker starts db_worker again whenever it stops (tests/test_tasks_worker_sqlite.py).
    assert "manage.py run_worker & worker=$!" in recipe
    assert "trap 'kill $worker" in recipe
    assert recipe.endswith("manage.py runserver --skip-checks 127.0.0.1:8000")


def test_make_run_tells_how_to_get_a_first_staff_account(tmp_path):
    output, _ = make(tmp_path, "run")
    assert "make superuser" in output
    assert "/admin/double-authentification/" in output
    _, calls = make(tmp_path, "superuser")
    assert calls[-1] == "python LOCAL_TRIAL= manage.py createsuperuser"


def test_make_test_after_make_run_installs_the_dev_extras_only(tmp_path):
    make(tmp_path, "run")
    _, calls = make(tmp_path, "test")
    assert installs(calls) == ["python LOCAL_TRIAL= -m pip install --quiet -e .[dev]"]
    assert calls[-1].startswith("python LOCAL_TRIAL= -m pytest")
    assert calls[-2].startswith("python LOCAL_TRIAL= -m pytest")
    assert calls[-3] == "lint-imports LOCAL_TRIAL= --no-logo"  # the layers, before the tests
    _, calls = make(tmp_path, "test")
    assert installs(calls) == []


def test_make_test_runs_the_browser_tests_as_a_step_of_their_own_and_test_fast_leaves_them_out(
    tmp_path,
):
    _, calls = make(tmp_path, "test", "TEST_WORKERS=2", "PYTEST_ARGS=--create-db -x")
    pytest_calls = [call for call in calls if " -m pytest " in call]
    assert pytest_calls == [
        "python LOCAL_TRIAL= -m pytest -n 2 -m not browser --create-db -x",
        # The first step made the test databases: the second reuses them.
        "python LOCAL_TRIAL= -m pytest -n 2 -m browser -x",
    ]
    _, calls = make(tmp_path, "test-fast", "PYTEST_ARGS=-x")
    assert [call for call in calls if " -m pytest " in call] == [
        "python LOCAL_TRIAL= -m pytest -n auto -m not browser -x"
    ]


def test_make_demo_reopens_the_edition_under_the_local_trial_banner(tmp_path):
    _, calls = make(tmp_path, "demo", "PORT=8002")
    reopened = "set_edition_dates --survey barometre-ia-collectivites --year 2025"
    assert any(reopened in call for call in calls)
    assert "python LOCAL_TRIAL=1 manage.py runserver --skip-checks 127.0.0.1:8002" in calls


def test_the_readme_s_first_lines_show_how_to_run_try_administer_and_test():
    first_lines = "\n".join((ROOT / "README.md").read_text().splitlines()[:40])
    for command in ("make run", "make demo", "make superuser", "make test", "PORT="):
        assert command in first_lines, command
    assert "/admin/double-authentification/" in first_lines


def test_make_r_reference_runs_the_r_script_and_nothing_from_the_virtualenv(tmp_path):
    output, calls = make(tmp_path, "--dry-run", "r-reference")
    assert output.splitlines() == ["Rscript scripts/r_reference/reference.R"]
    assert calls == []


def test_make_run_leaves_compiled_bytecode_of_the_project_and_of_what_the_server_imports(
    tmp_path,
):
    _, calls = make(tmp_path, "run")
    compiled = [call for call in calls if " -m compileall " in call]
    packages = sorted(path.parent.name for path in ROOT.glob("*/__init__.py"))
    assert compiled == [f"python LOCAL_TRIAL= -m compileall -q -j 0 {' '.join(packages)} manage.py"]
    warmed = [call for call in calls if "django.setup()" in call]
    assert warmed == ["python LOCAL_TRIAL= -c import django; django.setup(); import barometre.urls"]
    # Both come before the first command that starts Django.
    first_manage = next(n for n, call in enumerate(calls) if " manage.py " in call)
    assert calls.index(compiled[0]) < first_manage and calls.index(warmed[0]) < first_manage


def test_the_import_that_writes_bytecode_does_so_even_where_the_environment_forbids_it(tmp_path):
    fake = '#!/bin/sh\necho "NOPYC=${PYTHONDONTWRITEBYTECODE:-} $*" >> "$CALLS"\n'
    _, calls = make(tmp_path, "run", fake=fake, environment={"PYTHONDONTWRITEBYTECODE": "1"})
    warmed = [call for call in calls if "django.setup()" in call]
    assert warmed == ["NOPYC= -c import django; django.setup(); import barometre.urls"]
    assert "NOPYC=1 manage.py migrate --noinput" in calls


def test_the_image_compiles_every_package_of_the_project_at_build_time():
    dockerfile = (ROOT / "Dockerfile").read_text()
    line = next(line for line in dockerfile.splitlines() if "-m compileall" in line)
    packages = sorted(path.parent.name for path in ROOT.glob("*/__init__.py"))
    assert line.startswith("RUN python -m compileall")
    assert line.split()[-len(packages) - 1 :] == [*packages, "manage.py"]
    assert dockerfile.index("-m compileall") > dockerfile.index("COPY --chown=barometre")
    assert "--no-compile" not in dockerfile  # pip compiles the installed modules
