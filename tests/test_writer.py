"""The writer: cached values readable without recalculation, exact inputs, atomic, reproducible."""
import hashlib

import openpyxl
import pytest

from sheetsgd.writer import Workbook, stored


def small_book(path):
    with Workbook(path) as wb:
        s = wb.sheet("dotprod")
        x = s.input("A1", 0.1 + 0.2)
        s.formula("A2", "=A1*3", x * 3)
        s.array_formula("B1", "C2", "=MMULT(A1:A2,A1:A2)", [[1.5, 2.5], [3.5, 4.5]])
        s.formula("A3", "=1/0", float("inf"))
        s.define_name("solver_opt", "dotprod!$A$2")
    return x


def test_cached_values_read_back_without_recalculation(tmp_path):
    path = tmp_path / "w.xlsx"
    x = small_book(path)
    ws = openpyxl.load_workbook(path, data_only=True)["dotprod"]
    assert ws["A1"].value == x == 0.3                  # input rounded to 15 digits, stored exactly
    assert ws["A2"].value == x * 3                      # formula's cached value at full precision
    assert [[c.value for c in row] for row in ws["B1:C2"]] == [[1.5, 2.5], [3.5, 4.5]]
    assert ws["A3"].value == "#NUM!"                    # inf never reaches the file as a number
    formulas = openpyxl.load_workbook(path)["dotprod"]
    assert formulas["A2"].value == "=A1*3"


def test_stored_rounds_to_what_the_file_keeps():
    assert stored(0.1 + 0.2) == 0.3
    assert stored(1 / 3) == float("%.15g" % (1 / 3))
    assert float("%.16g" % stored(1 / 3)) == stored(1 / 3)


def test_two_builds_are_byte_identical(tmp_path):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    small_book(a)
    small_book(b)
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()


def test_failed_build_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "w.xlsx"
    small_book(path)
    before = path.read_bytes()
    with pytest.raises(RuntimeError):
        with Workbook(path) as wb:
            wb.sheet("half").input("A1", 1)
            raise RuntimeError("interrupted")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.xlsx"]


def test_written_file_has_ordinary_permissions(tmp_path):
    import os
    path = tmp_path / "w.xlsx"
    small_book(path)
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
