"""Date & Time functions: each case is an example of Microsoft's page for the function (the
entry's doc link), with the result the page gives; then Excel's 1900 leap-year bug and the
1904 date system."""
import pytest
from test_formula_helpers import make_book

from sheetsgd.formula import evaluate_formula
from sheetsgd.formula.values import NA, NUM, VALUE

DOCUMENTED = [
    ("=DATE(108,1,2)", 39449), ("=DATE(2008,14,2)", 39846), ("=DATE(2008,-3,2)", 39327),
    ("=DATE(2008,1,35)", 39482), ("=DATE(2008,1,-15)", 39432),
    ("=YEAR(DATE(2008,7,5))", 2008), ("=MONTH(DATEVALUE(\"15-Apr-2011\"))", 4),
    ("=DAY(DATEVALUE(\"15-Apr-2011\"))", 15),
    ("=WEEKDAY(DATE(2008,2,14))", 5), ("=WEEKDAY(DATE(2008,2,14),2)", 4), ("=WEEKDAY(DATE(2008,2,14),3)", 3),
    ("=HOUR(0.75)", 18), ("=HOUR(\"7/18/2011 7:45\")", 7), ("=MINUTE(\"12:45:00 PM\")", 45),
    ("=SECOND(\"4:48:18 PM\")", 18),
    ("=TIME(12,0,0)", 0.5), ("=TIME(16,48,10)", 0.7001157),
    ("=EDATE(DATE(2011,1,15),1)", 40589), ("=EDATE(DATE(2011,1,15),-1)", 40527), ("=EDATE(DATE(2011,1,15),2)", 40617),
    ("=EOMONTH(DATE(2011,1,1),1)", 40602), ("=EOMONTH(DATE(2011,1,1),-3)", 40482),
    ("=WEEKNUM(DATE(2012,3,9))", 10), ("=WEEKNUM(DATE(2012,3,9),2)", 11), ("=ISOWEEKNUM(DATE(2012,3,9))", 10),
    ("=DAYS(\"15-MAR-2021\",\"1-FEB-2021\")", 42), ("=DAYS(DATE(2021,12,31),DATE(2021,1,1))", 364),
    ("=DAYS360(DATE(2011,1,30),DATE(2011,2,1))", 1),
    ("=DAYS360(DATE(2011,1,1),DATE(2011,12,31))", 360),
    ("=DATEDIF(DATE(2001,1,1),DATE(2003,1,1),\"Y\")", 2), ("=DATEDIF(DATE(2001,6,1),DATE(2002,8,15),\"D\")", 440),
    ("=DATEDIF(DATE(2001,6,1),DATE(2002,8,15),\"YD\")", 75),
    ("=DATEVALUE(\"8/22/2011\")", 40777), ("=DATEVALUE(\"22-MAY-2011\")", 40685), ("=DATEVALUE(\"2011/02/23\")", 40597),
    ("=TIMEVALUE(\"2:24 AM\")", 0.1), ("=TIMEVALUE(\"22-Aug-2011 6:35 AM\")", 0.274305556),
    ("=NETWORKDAYS(DATE(2012,10,1),DATE(2013,3,1))", 110),
    ("=NETWORKDAYS(DATE(2012,10,1),DATE(2013,3,1),DATE(2012,11,22))", 109),
    ("=NETWORKDAYS(DATE(2012,10,1),DATE(2013,3,1),{41235,41247,41295})", 107),
    ("=NETWORKDAYS.INTL(DATE(2006,1,1),DATE(2006,1,31))", 22),
    ("=NETWORKDAYS.INTL(DATE(2006,1,1),DATE(2006,2,1),7,{\"2006/1/2\",\"2006/1/16\"})", 22),
    ("=NETWORKDAYS.INTL(DATE(2006,1,1),DATE(2006,2,1),\"0010001\",{\"2006/1/2\",\"2006/1/16\"})", 20),
    ("=WORKDAY(DATE(2008,10,1),151)", 39933),
    ("=WORKDAY.INTL(DATE(2012,1,1),30,0)", NUM), ("=WORKDAY.INTL(DATE(2012,1,1),90,11)", 41013),
    ("=WORKDAY.INTL(DATE(2012,1,1),30,17)", 40944),
    ("=YEARFRAC(DATE(2012,1,1),DATE(2012,7,30))", 0.58055556), ("=YEARFRAC(DATE(2012,1,1),DATE(2012,7,30),1)", 0.57650273),
    ("=YEARFRAC(DATE(2012,1,1),DATE(2012,7,30),3)", 0.57808219),
]


def _close(got, expected, text):
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        assert got == pytest.approx(expected, rel=1e-7, abs=1e-9), text
    else:
        assert got == expected, text


@pytest.mark.parametrize("text, expected", DOCUMENTED)
def test_documented_examples(text, expected):
    _close(evaluate_formula(text), expected, text)


def test_1900_leap_year_bug():
    # Excel counts 1900-02-29 (serial 60), a day that never was, as Lotus 1-2-3 did
    assert evaluate_formula("=DATE(1900,2,29)") == 60
    assert evaluate_formula("=DATE(1900,3,1)") == 61
    assert evaluate_formula("=DAY(60)") == 29 and evaluate_formula("=MONTH(60)") == 2
    assert evaluate_formula("=DAY(0)") == 0 and evaluate_formula("=MONTH(0)") == 1
    assert evaluate_formula("=WEEKDAY(1)") == 1                      # 1900-01-01: a Sunday in Excel
    assert evaluate_formula("=EOMONTH(DATE(1900,2,1),0)") == 60
    assert evaluate_formula("=DATE(-1,1,1)") == NUM and evaluate_formula("=DAY(-1)") == NUM
    assert evaluate_formula("=YEAR(2958466)") == NUM                  # past 9999-12-31


def test_1904_date_system():
    book = make_book({"Sheet1": {"A1": 0.0}})
    book.date1904 = True
    assert evaluate_formula("=DATE(1904,1,1)", book) == 0
    assert evaluate_formula("=DATE(2020,1,1)", book) == 43831 - 1462
    assert evaluate_formula("=YEAR(A1)", book) == 1904 and evaluate_formula("=DAY(A1)", book) == 1
    assert evaluate_formula("=WEEKDAY(0)", book) == 6                # 1904-01-01 was a Friday
    assert evaluate_formula("=DATE(1903,12,31)", book) == NUM


def test_analysis_toolpak_dates():
    assert evaluate_formula("=EDATE(DATE(2011,1,15),TRUE)") == VALUE
    assert evaluate_formula("=YEARFRAC(1/0,2,5)") == NUM             # the basis is read first
    assert evaluate_formula("=DATEDIF(2,1,\"D\")") == NUM
    assert evaluate_formula("=DATEDIF(1,2,\"X\")") == NUM
    assert evaluate_formula("=CONVERT(1,\"ft\",\"sec\")") == NA
