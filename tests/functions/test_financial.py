"""Financial functions: each case is an example of Microsoft's page for the function (the
entry's doc link), with the result the page gives, compared to the digits the page shows."""
import pytest

from sheetsgd.formula import evaluate_formula
from sheetsgd.formula.values import NUM, VALUE

DOCUMENTED = [
    ("=PV(0.08/12, 12*20, 500, , 0)", -59777.15), ("=FV(0.06/12, 10, -200, -500, 1)", 2581.40),
    ("=PMT(0.08/12, 10, 10000)", -1037.03), ("=PMT(0.06/12, 18*12, 0, 50000)", -129.08),
    ("=NPER(0.12/12, -100, -1000, 10000, 1)", 59.6738657), ("=NPER(0.12/12, -100, -1000, 10000)", 60.0821229),
    ("=NPER(0.12/12, -100, -1000)", -9.57859404),
    ("=IPMT(0.1/12, 1, 3*12, 8000)", -66.67), ("=IPMT(0.1, 3, 3, 8000)", -292.45),
    ("=PPMT(0.1/12, 1, 2*12, 2000)", -75.62), ("=PPMT(0.08, 10, 10, 200000)", -27598.05),
    ("=RATE(4*12, -200, 8000)", 0.0077014724),
    ("=NPV(0.1, -10000, 3000, 4200, 6800)", 1188.44),
    ("=IRR({-70000,12000,15000,18000,21000})", -0.021244848),
    ("=IRR({-70000,12000,15000,18000,21000,26000})", 0.086630948),
    ("=XNPV(0.09, {-10000,2750,4250,3250,2750}, {39448,39508,39751,39859,39904})", 2086.65),
    ("=XIRR({-10000,2750,4250,3250,2750}, {39448,39508,39751,39859,39904})", 0.373362535),
    ("=MIRR({-120000,39000,30000,21000,37000,46000}, 0.1, 0.12)", 0.1261),
    ("=SLN(30000, 7500, 10)", 2250), ("=SYD(30000, 7500, 10, 1)", 4090.91), ("=SYD(30000, 7500, 10, 10)", 409.09),
    ("=DDB(2400, 300, 10*365, 1)", 1.32), ("=DDB(2400, 300, 10*12, 1, 2)", 40), ("=DDB(2400, 300, 10, 1, 2)", 480),
    ("=DDB(2400, 300, 10, 2, 1.5)", 306), ("=DDB(2400, 300, 10, 10)", 22.12),
    ("=DB(1000000, 100000, 6, 1, 7)", 186083.33), ("=DB(1000000, 100000, 6, 2, 7)", 259639.42),
    ("=DB(1000000, 100000, 6, 7, 7)", 15845.10),
    ("=VDB(2400, 300, 10*365, 0, 1)", 1.32), ("=VDB(2400, 300, 10*12, 0, 1)", 40), ("=VDB(2400, 300, 10, 0, 1)", 480),
    ("=VDB(2400, 300, 10*12, 6, 18)", 396.31), ("=VDB(2400, 300, 10*12, 6, 18, 1.5)", 311.81),
    ("=VDB(2400, 300, 10, 0, 0.875, 1.5)", 315.00),
    ("=EFFECT(0.0525, 4)", 0.053542667), ("=NOMINAL(0.053543, 4)", 0.05250032),
    ("=CUMIPMT(0.09/12, 30*12, 125000, 13, 24, 0)", -11135.23), ("=CUMIPMT(0.09/12, 30*12, 125000, 1, 1, 0)", -937.50),
    ("=CUMPRINC(0.09/12, 30*12, 125000, 13, 24, 0)", -934.1071234),
    ("=CUMPRINC(0.09/12, 30*12, 125000, 1, 1, 0)", -68.27827118),
    ("=ISPMT(0.1/12, 1, 3*12, 8000000)", -64814.81), ("=ISPMT(0.1, 1, 3, 8000000)", -533333.33),
    ("=DOLLARDE(1.02, 16)", 1.125), ("=DOLLARDE(1.1, 32)", 1.3125), ("=DOLLARFR(1.125, 16)", 1.02),
    ("=DOLLARFR(1.125, 32)", 1.04), ("=FVSCHEDULE(1, {0.09,0.11,0.1})", 1.3309),
    ("=PDURATION(0.025, 2000, 2200)", 3.86), ("=PDURATION(0.025/12, 1000, 1200)", 87.6),
    ("=RRI(96, 10000, 11000)", 0.0009933),
    # securities
    ("=ACCRINT(DATE(2008,3,1), DATE(2008,8,31), DATE(2008,5,1), 0.1, 1000, 2, 0)", 16.666667),
    ("=ACCRINT(DATE(2008,3,5), DATE(2008,8,31), DATE(2008,5,1), 0.1, 1000, 2, 0, FALSE)", 15.5555556),
    ("=ACCRINT(DATE(2008,4,5), DATE(2008,8,31), DATE(2008,5,1), 0.1, 1000, 2, 0, TRUE)", 7.2222222),
    ("=ACCRINTM(DATE(2008,4,1), DATE(2008,6,15), 0.1, 1000, 3)", 20.54794521),
    ("=COUPDAYBS(DATE(2007,1,25), DATE(2008,11,15), 2, 1)", 71), ("=COUPDAYS(DATE(2007,1,25), DATE(2008,11,15), 2, 1)", 181),
    ("=COUPDAYSNC(DATE(2007,1,25), DATE(2008,11,15), 2, 1)", 110),
    ("=COUPNCD(DATE(2007,1,25), DATE(2008,11,15), 2, 1)", 39217), ("=COUPNUM(DATE(2007,1,25), DATE(2008,11,15), 2, 1)", 4),
    ("=COUPPCD(DATE(2007,1,25), DATE(2008,11,15), 2, 1)", 39036),
    ("=PRICE(DATE(2008,2,15), DATE(2017,11,15), 0.0575, 0.065, 100, 2, 0)", 94.63436),
    ("=YIELD(DATE(2008,2,15), DATE(2016,11,15), 0.0575, 95.04287, 100, 2, 0)", 0.065),
    ("=MDURATION(DATE(2008,1,1), DATE(2016,1,1), 0.08, 0.09, 2, 1)", 5.73567),
    ("=PRICEDISC(DATE(2008,2,16), DATE(2008,3,1), 0.0525, 100, 2)", 99.79583333),
    ("=YIELDDISC(DATE(2008,2,16), DATE(2008,3,1), 99.795, 100, 2)", 0.052823),
    ("=INTRATE(DATE(2008,2,15), DATE(2008,5,15), 1000000, 1014420, 2)", 0.05768),
    ("=RECEIVED(DATE(2008,2,15), DATE(2008,5,15), 1000000, 0.0575, 2)", 1014584.65),
    ("=PRICEMAT(DATE(2008,2,15), DATE(2008,4,13), DATE(2007,11,11), 0.061, 0.061, 0)", 99.98449888),
    ("=YIELDMAT(DATE(2008,3,15), DATE(2008,11,3), DATE(2007,11,8), 0.0625, 100.0123, 0)", 0.060954),
    ("=TBILLEQ(DATE(2008,3,31), DATE(2008,6,1), 0.0914)", 0.094151494),
    ("=TBILLPRICE(DATE(2008,3,31), DATE(2008,6,1), 0.09)", 98.45),
    ("=TBILLYIELD(DATE(2008,3,31), DATE(2008,6,1), 98.45)", 0.09141696),
]


def _digits(x):
    s = ("%.10g" % abs(x)).replace(".", "").lstrip("0").rstrip("0")
    return max(len(s), 3)


@pytest.mark.parametrize("text, expected", DOCUMENTED)
def test_documented_examples(text, expected):
    got = evaluate_formula(text)
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        assert got == pytest.approx(expected, rel=10.0 ** (1 - _digits(expected)), abs=1e-12), text
    else:
        assert got == expected, text


def test_excel_behaviour_seen_in_its_files():
    # ironcalc__PMT.xlsx: a rate of -100% or below is #NUM!; formulas__test.xlsx: the ToolPak's
    # CUMIPMT takes TRUE as #VALUE!, IRR an error among its values as #VALUE!
    assert evaluate_formula("=PMT(-1,10,300)") == NUM
    assert evaluate_formula("=CUMIPMT(0.1,5.5,125000,3,5,TRUE)") == VALUE
    assert evaluate_formula("=IRR({-7,2,#N/A,4})") == VALUE
    # koala__VDB.xlsx: a fractional start walks periods that fall on it
    assert evaluate_formula("=VDB(1,0,14,2.5,3.5,1.25)") == pytest.approx(0.07074765193864536, rel=1e-13)
    assert evaluate_formula("=VDB(1,0,14,3.5,4.5,1.25)") == pytest.approx(0.06872629045468406, rel=1e-13)
    # PPMT's closed form (formulas__test.xlsx): no cancellation
    assert evaluate_formula('=PPMT(5,"3","33","10000","1")') == pytest.approx(-3.7698552037230904e-20, rel=1e-12)
