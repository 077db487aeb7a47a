"""`pip install .`: the built wheel, installed into a throwaway virtualenv, carries templates,
static files and the default boards, and serves the site from a directory outside the checkout.

The wheel is built from a copy of the checkout (so `build/` and `*.egg-info` land in the copy),
with the test venv's own setuptools when it can make wheels, so nothing is downloaded (else pip
fetches pyproject.toml's build requirements, as `pip install .` does). The
throwaway venv gets the wheel alone (`--no-deps`) and finds Flask and the rest in the test venv's
site-packages through a `.pth` file, after its own site-packages, so that `leftbook` and `onion`
are imported from the wheel's install and never from the checkout.
"""

import html
import importlib.metadata
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests import serving
from tests.serving import running_site, server_env

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
SHIPPED = ("templates", "static", "boards")
COMMAND_SECONDS = 300
# What the copy to build from leaves out when there is no git to list the checkout's files.
NOT_SOURCES = shutil.ignore_patterns(".*", "build", "dist", "*.egg-info", "__pycache__",
                                     "instance", "bench")


def run(command: list[str], **kwargs) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=COMMAND_SECONDS,
                            check=False, **kwargs)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited with {result.returncode}:\n"
                    f"{result.stdout}\n{result.stderr}")
    return result.stdout


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def copy_sources(dest: Path) -> None:
    """The checkout as a clean clone plus the work tree's changes would have it: tracked files
    and new ones git does not ignore (not .venv/, instance/, build/, *.egg-info/)."""
    if not (REPO / ".git").exists():
        shutil.copytree(REPO, dest, ignore=NOT_SOURCES)
        return
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                 cwd=REPO)
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():  # a file removed from the work tree stays listed until committed
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def build_isolation() -> list[str]:
    """`--no-build-isolation` when this venv's setuptools can make a wheel (70.1 and later can
    by itself, earlier ones with the `wheel` package); otherwise pip fetches the build
    requirements of pyproject.toml, as a plain `pip install .` does."""
    version = importlib.metadata.version("setuptools")
    major_minor = tuple(int(n) for n in re.findall(r"\d+", version)[:2])
    if major_minor >= (70, 1) or importlib.util.find_spec("wheel") is not None:
        return ["--no-build-isolation"]
    return []


@dataclass(frozen=True)
class Install:
    wheel: Path
    venv: Path
    python: Path
    site_packages: Path


@pytest.fixture(scope="module")
def install(tmp_path_factory) -> Install:
    root = tmp_path_factory.mktemp("packaging")
    source, dist, venv = root / "source", root / "dist", root / "venv"
    copy_sources(source)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", *build_isolation(), "--quiet",
         "--wheel-dir", str(dist), str(source)])
    (wheel,) = dist.glob("leftbook-*.whl")

    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "--quiet", str(wheel)])
    site_packages = Path(run([str(python), "-c",
                              "import sysconfig; print(sysconfig.get_path('purelib'))"]).strip())
    # Written after the install, so pip never saw the test venv's (editable) leftbook.
    dependencies = dict.fromkeys(sysconfig.get_path(n) for n in ("purelib", "platlib"))
    (site_packages / "test-venv-dependencies.pth").write_text("\n".join(dependencies) + "\n")
    return Install(wheel, venv, python, site_packages)


def test_the_wheel_carries_the_packages_and_the_shipped_folders(install):
    with zipfile.ZipFile(install.wheel) as wheel:
        names = wheel.namelist()
    dist = "-".join(install.wheel.name.split("-")[:2])  # leftbook-<version>
    data = f"{dist}.data/data/share/leftbook/"
    for folder in SHIPPED:
        carried = {n.removeprefix(data + folder + "/") for n in names
                   if n.startswith(data + folder + "/")}
        assert carried == files_under(REPO / folder), folder
    top = {n.split("/")[0] for n in names if not n.startswith(f"{dist}.")}
    assert top == {"leftbook", "onion"}
    packages = {n.rsplit("/", 1)[0] for n in names if n.endswith("/__init__.py")}
    in_checkout = {p.parent.relative_to(REPO).as_posix()
                   for package in ("leftbook", "onion")
                   for p in (REPO / package).rglob("__init__.py")}
    assert packages == in_checkout


def test_the_installed_wheel_serves_the_site_from_outside_the_checkout(install, tmp_path,
                                                                       monkeypatch):
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    monkeypatch.delenv("PYTHONPATH", raising=False)  # the wheel's code runs, not a checkout's
    env = server_env(workdir / "data")
    probe = json.loads(run([str(install.python), "-c", """if True:
        import json, leftbook, onion
        from leftbook.resources import shipped_dir
        print(json.dumps({"leftbook": leftbook.__file__, "onion": onion.__file__,
                          **{n: str(shipped_dir(n)) for n in ("templates", "static", "boards")}}))
        """], cwd=workdir, env=env))
    assert Path(probe["leftbook"]).is_relative_to(install.site_packages), probe
    assert Path(probe["onion"]).is_relative_to(install.site_packages), probe
    share = install.venv / "share" / "leftbook"
    for folder in SHIPPED:
        assert Path(probe[folder]) == share / folder
        assert files_under(share / folder) == files_under(REPO / folder), folder

    boards = [tomllib.loads(p.read_text()) for p in sorted((REPO / "boards").glob("*.toml"))]
    soc = next(b for b in boards if b["slug"] == "soc")
    assert not (workdir / "boards").exists()
    monkeypatch.setattr(serving, "LEFTBOOK", str(install.venv / "bin" / "leftbook"))
    with running_site(workdir) as site:
        home = requests.get(f"{site.base}/", timeout=10)
        assert home.status_code == 200
        assert "<h1>Leftbook</h1>" in home.text
        for board in boards:
            assert f'href="/{board["slug"]}/"' in home.text
            assert html.escape(board["title"]) in home.text

        board = requests.get(f"{site.base}/soc/", timeout=10)
        assert board.status_code == 200
        assert html.escape(soc["title"]) in board.text
        assert html.escape(soc["description"]) in board.text
        assert 'href="/static/style.css' in board.text

        for name in files_under(REPO / "static"):
            static = requests.get(f"{site.base}/static/{name}", timeout=10)
            assert static.status_code == 200, name
            assert static.content == (REPO / "static" / name).read_bytes(), name
        css = requests.get(f"{site.base}/static/style.css", timeout=10)
        assert css.headers["Content-Type"].startswith("text/css")
