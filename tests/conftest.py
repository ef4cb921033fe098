"""Shared fixtures. Tests that need ../shared (the lecture's reference workbooks,
MovieLens 100k) skip cleanly when it is absent; everything else runs from the repo alone."""
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SHEETSGD_SHARED", REPO.parent / "shared"))

if os.environ.get("SHEETSGD_TEST_TEMPLATES_EVERYWHERE"):
    # test_reader_templates.py runs the reader's other suites again this way: every sheet, however
    # small, read through row templates (they are only tried above 1 MB of sheetData otherwise)
    from sheetsgd.formula.reader import templates as _templates
    _templates.TEMPLATE_MIN_CHARS = 0


@pytest.fixture(scope="session")
def shared_dir():
    if not (SHARED / "reference").is_dir():
        pytest.skip(f"needs ../shared (the lecture's reference workbooks); not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def reference(shared_dir):
    """reference('collab_filter.xlsx') -> path of the lecture's original workbook (read-only)."""
    def path(name):
        p = shared_dir / "reference" / name
        if not p.exists():
            pytest.skip(f"needs {p}")
        return p
    return path


@pytest.fixture(scope="session")
def movielens_dir():
    d = SHARED / "data" / "ml-100k"
    if not (d / "u.data").exists():
        pytest.skip(f"needs MovieLens 100k at {d}")
    return d


def soffice_path():
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="session")
def soffice():
    exe = soffice_path()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the LibreOffice tests, but soffice is not installed (.ci/run installs it)")
        pytest.skip("needs LibreOffice (soffice): apt-get install libreoffice-calc-nogui")
    return exe


# -- neuralnet.xlsx built once per session: test_neuralnet.py and the tests of its later sheets share it

@pytest.fixture(scope="session")
def neuralnet_built(tmp_path_factory):
    """The workbook built with the defaults (as `sheetsgd build --only neuralnet` does), and what it holds."""
    from sheetsgd.sheets import neuralnet
    path = tmp_path_factory.mktemp("neuralnet") / "neuralnet.xlsx"
    return path, neuralnet.write(path)


@pytest.fixture(scope="session")
def neuralnet_book(neuralnet_built):
    from sheetsgd.formula.reader import read_book
    return read_book(neuralnet_built[0])


@pytest.fixture(scope="session")
def neuralnet_evaluated(neuralnet_book):
    from sheetsgd.formula import evaluate_book
    return evaluate_book(neuralnet_book)
