"""Securities (Excel's category "Financial"): coupons, accrued interest, prices and yields.

All came from the Analysis ToolPak (atp.py: TRUE is #VALUE!, dates are truncated to whole
days). `basis` is the day count of daycount.py (0 US 30/360, 1 actual/actual, 2 actual/360,
3 actual/365, 4 European 30/360); `frequency` is 1, 2 or 4 coupons a year.

Coupon dates step back from maturity by 12/frequency months, keeping maturity's day of the
month (the last day of each month when maturity is a month's last day). For a settlement
between the previous coupon date (PCD) and the next (NCD):
    A   = COUPDAYBS  days from PCD to settlement, in the basis's count
    E   = COUPDAYS   days of the coupon period: 360/f (bases 0, 2, 4), 365/f (3), actual (1)
    DSC = COUPDAYSNC days from settlement to NCD (basis 0: E - A)
and PRICE, YIELD and DURATION are Microsoft's formulas in these quantities.
"""
import math

from ..serial import days_in_month, from_serial, serial_of
from ..values import NUM, ExcelError
from . import atp
from .daycount import days_30_360, year_fraction
from .registry import MS_EXCEL, registrar

function = registrar("financial")
DOC = MS_EXCEL
_GSHEETS = "excel libreoffice gsheets"


def _add_months(serial, months, end_of_month):
    y, m, d = from_serial(serial)
    total = y * 12 + (m - 1) + months
    y, m = divmod(total, 12)
    last = days_in_month(y, m + 1)
    return serial_of(y, m + 1, last if end_of_month else min(d, last))


def _is_month_end(serial):
    y, m, d = from_serial(serial)
    return d == days_in_month(y, m)


def coupon_dates(settlement, maturity, freq):
    """(PCD, NCD, number of coupons from NCD to maturity) for settlement < maturity."""
    step = 12 // freq
    eom = _is_month_end(maturity)
    n = 0
    ncd = maturity
    while True:
        pcd = _add_months(maturity, -step * (n + 1), eom)
        if pcd <= settlement:
            return pcd, ncd, n + 1
        ncd = pcd
        n += 1


def days(a, b, basis):
    """Days from serial a to b in the basis's count."""
    if basis in (0, 4):
        return days_30_360(a, b, basis)
    return b - a


def period_days(pcd, ncd, basis, freq):
    if basis == 1:
        return ncd - pcd
    return (365.0 if basis == 3 else 360.0) / freq


def _args(ctx, *vals):
    xs = atp.numbers(*[atp.scalar(ctx, v) for v in vals])
    return xs


def _dates(*xs):
    return [math.floor(x) for x in xs]


def _check(settlement, maturity, freq, basis):
    if settlement >= maturity or freq not in (1, 2, 4) or basis not in (0, 1, 2, 3, 4) or settlement < 0:
        return NUM
    return None


def _coupon(kind):
    def impl(ctx, settlement, maturity, frequency, basis=0.0):
        xs = _args(ctx, settlement, maturity, frequency, basis)
        if type(xs) is ExcelError:
            return xs
        s, m = _dates(xs[0], xs[1])
        f, b = math.trunc(xs[2]), math.trunc(xs[3])
        bad = _check(s, m, f, b)
        if bad is not None:
            return bad
        pcd, ncd, n = coupon_dates(s, m, f)
        if kind == "PCD":
            return float(pcd)
        if kind == "NCD":
            return float(ncd)
        if kind == "NUM":
            return float(n)
        e = period_days(pcd, ncd, b, f)
        if kind == "DAYS":
            return float(e)
        a = days(pcd, s, b)
        if kind == "DAYBS":
            return float(a)
        return float(e - a if b == 0 else days(s, ncd, b))          # DAYSNC
    return impl


for _kind, _name in (("PCD", "COUPPCD"), ("NCD", "COUPNCD"), ("NUM", "COUPNUM"), ("DAYS", "COUPDAYS"),
                     ("DAYBS", "COUPDAYBS"), ("DAYSNC", "COUPDAYSNC")):
    function(_name, "values, values, values, values?", context=True, programs=_GSHEETS,
             doc=DOC + _name.lower() + "-function")(_coupon(_kind))


def _quantities(s, m, f, b):
    pcd, ncd, n = coupon_dates(s, m, f)
    e = period_days(pcd, ncd, b, f)
    a = days(pcd, s, b)
    dsc = e - a if b == 0 else days(s, ncd, b)
    return a, e, dsc, n


def price(s, m, rate, yld, redemption, f, b):
    a, e, dsc, n = _quantities(s, m, f, b)
    coupon = 100.0 * rate / f
    if n == 1:
        return (redemption + coupon) / (1 + dsc / e * yld / f) - coupon * a / e
    base = 1 + yld / f
    total = redemption / base ** (n - 1 + dsc / e)
    for k in range(1, n + 1):
        total += coupon / base ** (k - 1 + dsc / e)
    return total - coupon * a / e


def _bond_args(ctx, settlement, maturity, rest, frequency, basis):
    xs = _args(ctx, settlement, maturity, *rest, frequency, basis)
    if type(xs) is ExcelError:
        return xs
    s, m = _dates(xs[0], xs[1])
    f, b = math.trunc(xs[-2]), math.trunc(xs[-1])
    bad = _check(s, m, f, b)
    return bad if bad is not None else (s, m, xs[2:-2], f, b)


@function("PRICE", "values, values, values, values, values, values, values?", context=True,
          programs=_GSHEETS, doc=DOC + "price-function")
def PRICE(ctx, settlement, maturity, rate, yld, redemption, frequency, basis=0.0):
    got = _bond_args(ctx, settlement, maturity, (rate, yld, redemption), frequency, basis)
    if type(got) is ExcelError:
        return got
    s, m, (rate, yld, redemption), f, b = got
    if rate < 0 or yld < 0 or redemption <= 0:
        return NUM
    return price(s, m, rate, yld, redemption, f, b)


@function("YIELD", "values, values, values, values, values, values, values?", context=True,
          programs=_GSHEETS, doc=DOC + "yield-function")
def YIELD(ctx, settlement, maturity, rate, pr, redemption, frequency, basis=0.0):
    got = _bond_args(ctx, settlement, maturity, (rate, pr, redemption), frequency, basis)
    if type(got) is ExcelError:
        return got
    s, m, (rate, pr, redemption), f, b = got
    if rate < 0 or pr <= 0 or redemption <= 0:
        return NUM
    a, e, dsc, n = _quantities(s, m, f, b)
    if n == 1:
        coupon = 100.0 * rate / f
        par = pr / 100 + a / e * rate / f
        return ((redemption / 100 + rate / f) - par) / par * f * e / dsc
    y = rate if rate > 0 else 0.05
    for _ in range(100):
        p0 = price(s, m, rate, y, redemption, f, b) - pr
        h = 1e-7
        d = (price(s, m, rate, y + h, redemption, f, b) - price(s, m, rate, y - h, redemption, f, b)) / (2 * h)
        if d == 0:
            return NUM
        step = p0 / d
        y -= step
        if abs(step) < 1e-12:
            return y
    return NUM


def _duration(s, m, rate, yld, f, b):
    a, e, dsc, n = _quantities(s, m, f, b)
    base = 1 + yld / f
    coupon = 100.0 * rate / f
    weighted = total = 0.0
    for k in range(1, n + 1):
        t = k - 1 + dsc / e
        cf = coupon + (100.0 if k == n else 0.0)
        pv = cf / base ** t
        weighted += t * pv
        total += pv
    return weighted / total / f


def _durations(modified):
    def impl(ctx, settlement, maturity, coupon, yld, frequency, basis=0.0):
        got = _bond_args(ctx, settlement, maturity, (coupon, yld), frequency, basis)
        if type(got) is ExcelError:
            return got
        s, m, (rate, yld), f, b = got
        if rate < 0 or yld < 0:
            return NUM
        d = _duration(s, m, rate, yld, f, b)
        return d / (1 + yld / f) if modified else d
    return impl


function("DURATION", "values, values, values, values, values, values?", context=True, programs=_GSHEETS,
         doc=DOC + "duration-function")(_durations(False))
function("MDURATION", "values, values, values, values, values, values?", context=True, programs=_GSHEETS,
         doc=DOC + "mduration-function")(_durations(True))


# ---------------------------------------------------------------- accrued interest
# ACCRINT as Excel computes it (the algorithm of the ExcelFinancialFunctions library, which
# reproduces Excel's results; ironcalc__accrint_cases.xlsx holds 400 of them as Excel saved
# them): coupon dates step from first_interest (on month ends when it is one); the settlement's
# slice is counted from the coupon date before it (before first_interest, the regular period's
# start, so a settlement before that start accrues a negative slice), over the regular period's
# length; each whole period back to the issue adds 1 (0 when calc_method is FALSE), the period
# holding the issue its share.
def _step(serial, months, eom):
    """Add months (the day clamped to the month's length), then to the month's end if eom."""
    y, m, d = from_serial(serial)
    total = y * 12 + (m - 1) + months
    y, m = divmod(total, 12)
    last = days_in_month(y, m + 1, True)
    return serial_of(y, m + 1, last if eom else min(d, last))


def _last_of_feb(serial):
    y, m, d = from_serial(serial)
    return m == 2 and d == days_in_month(y, 2, True)


def _us360(a, b, modify_both):
    (y1, m1, d1), (y2, m2, d2) = from_serial(a), from_serial(b)
    if _last_of_feb(b) and (_last_of_feb(a) or modify_both):
        d2 = 30
    if d2 == 31 and (d1 >= 30 or modify_both):
        d2 = 30
    if d1 == 31 or _last_of_feb(a):
        d1 = 30
    return (y2 - y1) * 360 + (m2 - m1) * 30 + (d2 - d1)


def _between(a, b, numerator, basis):
    if basis == 0:
        return _us360(a, b, False)
    if basis == 4:
        return days_30_360(a, b, 4)
    if basis == 2 and not numerator:          # actual/360 measures a period's length 30/360
        return _us360(a, b, False)
    return b - a


def accrint(issue, first, settlement, rate, par, freq, basis, calc):
    months = 12 // freq
    eom = _is_month_end(first)
    reg_pcd = _step(first, -months, eom)
    pcd = reg_pcd
    if settlement > first and calc:
        front = first
        while front < settlement:
            pcd, front = front, _step(front, months, eom)
    normal = (first - reg_pcd) if basis == 1 else (365.0 if basis == 3 else 360.0) / freq
    acc = _between(max(issue, pcd), settlement, True, basis) / normal
    front = pcd
    while front > issue:
        end = front
        front = _step(front, -months, eom)
        if issue <= front:
            acc += 1.0 if calc else 0.0
        else:
            num = _us360(issue, end, False) if basis == 0 else _between(issue, end, True, basis)
            if basis == 0:
                den = _us360(front, end, True)
            elif basis == 3:
                den = 365.0 / freq
            else:
                den = _between(front, end, False, basis)
            acc += num / den
    return par * rate / freq * acc


@function("ACCRINT", "values, values, values, values, values, values, values?, values?", context=True,
          programs=_GSHEETS, doc=DOC + "accrint-function")
def ACCRINT(ctx, issue, first_interest, settlement, rate, par, frequency, basis=0.0, calc_method=True):
    vals = [atp.scalar(ctx, v) for v in (issue, first_interest, settlement, rate, par, frequency, basis)]
    xs = atp.numbers(*vals)
    if type(xs) is ExcelError:
        return xs
    method = atp.scalar(ctx, calc_method)
    if type(method) is ExcelError:
        return method
    method = method if type(method) is bool else (atp.number(method) != 0 if method is not None else True)
    i, fi, s = _dates(xs[0], xs[1], xs[2])
    rate, par, f, b = xs[3], xs[4], math.trunc(xs[5]), math.trunc(xs[6])
    if rate <= 0 or par <= 0 or f not in (1, 2, 4) or b not in (0, 1, 2, 3, 4) or i >= s:
        return NUM
    return accrint(i, fi, s, rate, par, f, b, method)


@function("ACCRINTM", "values, values, values, values, values?", context=True, programs=_GSHEETS,
          doc=DOC + "accrintm-function")
@atp.scalars
def ACCRINTM(issue, settlement, rate, par=1000.0, basis=0.0):
    xs = atp.numbers(issue, settlement, rate, par, basis)
    if type(xs) is ExcelError:
        return xs
    i, s = _dates(xs[0], xs[1])
    rate, par, b = xs[2], xs[3], math.trunc(xs[4])
    if rate <= 0 or par <= 0 or b not in (0, 1, 2, 3, 4) or i >= s:
        return NUM
    return par * rate * year_fraction(i, s, b)


# ---------------------------------------------------------------- discounted securities
def _simple(name, slug, nargs, compute):
    spec = ", ".join(["values"] * nargs + ["values?"])

    @function(name, spec, context=True, programs=_GSHEETS, doc=DOC + slug)
    @atp.scalars
    def impl(settlement, maturity, *rest):
        rest = list(rest) + [0.0] * (nargs - 2 + 1 - len(rest))
        xs = atp.numbers(settlement, maturity, *rest)
        if type(xs) is ExcelError:
            return xs
        s, m = _dates(xs[0], xs[1])
        b = math.trunc(xs[-1])
        if s >= m or b not in (0, 1, 2, 3, 4):
            return NUM
        return compute(s, m, year_fraction(s, m, b), *xs[2:-1])
    return impl


def _positive(*xs):
    return all(x > 0 for x in xs)


_simple("DISC", "disc-function", 4,
        lambda s, m, t, pr, red: (red - pr) / red / t if _positive(pr, red) else NUM)
_simple("PRICEDISC", "pricedisc-function", 4,
        lambda s, m, t, disc, red: red - disc * red * t if _positive(disc, red) else NUM)
_simple("YIELDDISC", "yielddisc-function", 4,
        lambda s, m, t, pr, red: (red - pr) / pr / t if _positive(pr, red) else NUM)
_simple("INTRATE", "intrate-function", 4,
        lambda s, m, t, inv, red: (red - inv) / inv / t if _positive(inv, red) else NUM)
_simple("RECEIVED", "received-function", 4,
        lambda s, m, t, inv, disc: inv / (1 - disc * t) if _positive(inv, disc) and disc * t < 1 else NUM)


def _mat_args(ctx, vals):
    xs = atp.numbers(*[atp.scalar(ctx, v) for v in vals])
    if type(xs) is ExcelError:
        return xs
    s, m, i = _dates(xs[0], xs[1], xs[2])
    b = math.trunc(xs[5])
    if s >= m or i > s or b not in (0, 1, 2, 3, 4) or xs[3] < 0 or xs[4] < 0:
        return NUM
    return s, m, i, xs[3], xs[4], b


@function("PRICEMAT", "values, values, values, values, values, values?", context=True, programs=_GSHEETS,
          doc=DOC + "pricemat-function")
def PRICEMAT(ctx, settlement, maturity, issue, rate, yld, basis=0.0):
    got = _mat_args(ctx, (settlement, maturity, issue, rate, yld, basis))
    if type(got) is ExcelError:
        return got
    s, m, i, rate, yld, b = got
    dim, a, dsm = year_fraction(i, m, b), year_fraction(i, s, b), year_fraction(s, m, b)
    return (100 + dim * rate * 100) / (1 + dsm * yld) - a * rate * 100


@function("YIELDMAT", "values, values, values, values, values, values?", context=True, programs=_GSHEETS,
          doc=DOC + "yieldmat-function")
def YIELDMAT(ctx, settlement, maturity, issue, rate, pr, basis=0.0):
    got = _mat_args(ctx, (settlement, maturity, issue, rate, pr, basis))
    if type(got) is ExcelError:
        return got
    s, m, i, rate, pr, b = got
    if pr <= 0:
        return NUM
    dim, a, dsm = year_fraction(i, m, b), year_fraction(i, s, b), year_fraction(s, m, b)
    return ((1 + dim * rate) - (pr / 100 + a * rate)) / (pr / 100 + a * rate) / dsm


def _tbill(compute):
    @atp.scalars
    def impl(settlement, maturity, x):
        xs = atp.numbers(settlement, maturity, x)
        if type(xs) is ExcelError:
            return xs
        s, m = _dates(xs[0], xs[1])
        dsm = m - s
        if dsm <= 0 or dsm > 366 or xs[2] <= 0:
            return NUM
        return compute(dsm, xs[2])
    return impl


def _tbilleq(dsm, disc):
    if dsm <= 182:
        return 365 * disc / (360 - disc * dsm)
    price = 100 * (1 - disc * dsm / 360)
    t = dsm / 365.0
    return (-t + math.sqrt(t * t - (2 * t - 1) * (1 - 100 / price))) / (t - 0.5)


function("TBILLPRICE", "values, values, values", context=True, programs=_GSHEETS,
         doc=DOC + "tbillprice-function")(_tbill(lambda dsm, disc: 100 * (1 - disc * dsm / 360)))
function("TBILLYIELD", "values, values, values", context=True, programs=_GSHEETS,
         doc=DOC + "tbillyield-function")(_tbill(lambda dsm, pr: (100 - pr) / pr * 360 / dsm))
function("TBILLEQ", "values, values, values", context=True, programs=_GSHEETS,
         doc=DOC + "tbilleq-function")(_tbill(_tbilleq))
