"""Financial functions (Excel's category "Financial"): the time value of money, cash flows and
depreciation. The bond and security functions (ACCRINT, PRICE, COUP...) are in bonds.py.

The annuity functions solve one equation for whichever of its terms is asked:

    pv (1 + r)^n + pmt (1 + r type) ((1 + r)^n - 1) / r + fv = 0      (r = 0: pv + pmt n + fv = 0)

money paid out negative, received positive; type 1 pays at the start of each period. RATE, IRR
and XIRR find a root by Newton's method from a guess, as Excel does (#NUM! when it does not
converge).
"""
import math

from ..values import DIV0, NUM, VALUE, ExcelError
from . import atp
from .args import flat, numbers
from .registry import MS_EXCEL, registrar

function = registrar("financial")
DOC = MS_EXCEL


def _grow(r, n):
    return (1 + r) ** n


def fv(r, n, pmt, pv, t):
    if r == 0:
        return -(pv + pmt * n)
    g = _grow(r, n)
    return -(pv * g + pmt * (1 + r * t) * (g - 1) / r)


def pmt(r, n, pv, fv_, t):
    if r == 0:
        return -(pv + fv_) / n
    g = _grow(r, n)
    return -(fv_ + pv * g) * r / ((1 + r * t) * (g - 1))


def _type(t):
    return 1.0 if t else 0.0


@function("PV", "number, number, number, number?, number?", doc=DOC + "pv-function")
def PV(rate, nper, payment, fv_=0.0, t=0.0):
    if rate <= -1:
        return NUM
    t = _type(t)
    if rate == 0:
        return -(payment * nper + fv_)
    g = _grow(rate, nper)
    return -(fv_ + payment * (1 + rate * t) * (g - 1) / rate) / g


@function("FV", "number, number, number, number?, number?", doc=DOC + "fv-function")
def FV(rate, nper, payment, pv=0.0, t=0.0):
    if rate <= -1:
        return NUM
    return fv(rate, nper, payment, pv, _type(t))


@function("PMT", "number, number, number, number?, number?", doc=DOC + "pmt-function")
def PMT(rate, nper, pv, fv_=0.0, t=0.0):
    if nper == 0 or rate <= -1:
        return NUM
    return pmt(rate, nper, pv, fv_, _type(t))


@function("NPER", "number, number, number, number?, number?", doc=DOC + "nper-function")
def NPER(rate, payment, pv, fv_=0.0, t=0.0):
    if rate <= -1:
        return NUM
    t = _type(t)
    if rate == 0:
        if payment == 0:
            return NUM
        return -(pv + fv_) / payment
    num = payment * (1 + rate * t) - fv_ * rate
    den = pv * rate + payment * (1 + rate * t)
    if den == 0:
        return NUM
    q = num / den
    if q <= 0 or rate <= -1:
        return NUM
    return math.log(q) / math.log(1 + rate)


def ipmt(r, per, n, pv, fv_, t):
    p = pmt(r, n, pv, fv_, t)
    if t and per == 1:
        return 0.0
    i = fv(r, per - 1, p, pv, t) * r
    return i / (1 + r) if t else i


@function("IPMT", "number, number, number, number, number?, number?", doc=DOC + "ipmt-function")
def IPMT(rate, per, nper, pv, fv_=0.0, t=0.0):
    if per < 1 or per >= nper + 1 or nper <= 0 or rate <= -1:
        return NUM
    return ipmt(rate, per, nper, pv, fv_, _type(t))


def ppmt(r, per, n, pv, fv_, t):
    """The principal of one payment, Excel's closed form: -(fv + pv) r / ((1 + r)^n - 1) times
    (1 + r)^(per - 1) (type 1: (1 + r)^(per - 2), the first payment all principal)."""
    if r == 0:
        return -(pv + fv_) / n
    if t and per == 1:
        return pmt(r, n, pv, fv_, t)
    base = -(fv_ + pv) * r / (_grow(r, n) - 1)
    return base * _grow(r, per - 1 - t)


@function("PPMT", "number, number, number, number, number?, number?", doc=DOC + "ppmt-function")
def PPMT(rate, per, nper, pv, fv_=0.0, t=0.0):
    if per < 1 or per >= nper + 1 or nper <= 0 or rate <= -1:
        return NUM
    return ppmt(rate, per, nper, pv, fv_, _type(t))


def _cumulative(principal):
    @atp.scalars
    def impl(rate, nper, pv, start, end, t):
        xs = atp.numbers(rate, nper, pv, start, end, t)
        if type(xs) is ExcelError:
            return xs
        rate, nper, pv, start, end, t = xs
        start, end, t = math.trunc(start), math.trunc(end), math.trunc(t)
        if rate <= 0 or nper <= 0 or pv <= 0 or start < 1 or end < start or end > nper or t not in (0, 1):
            return NUM
        total = 0.0
        for per in range(int(start), int(end) + 1):
            total += ppmt(rate, per, nper, pv, 0.0, t) if principal else ipmt(rate, per, nper, pv, 0.0, t)
        return total
    return impl


function("CUMIPMT", "values, values, values, values, values, values", context=True,
         doc=DOC + "cumipmt-function")(_cumulative(False))
function("CUMPRINC", "values, values, values, values, values, values", context=True,
         doc=DOC + "cumprinc-function")(_cumulative(True))


def _newton(f, df, guess, tol=1e-10, steps=100):
    """A root of f by Newton's method from guess, or #NUM! when it does not settle."""
    x = guess
    for _ in range(steps):
        try:
            y, d = f(x), df(x)
        except (OverflowError, ZeroDivisionError, ValueError):
            return NUM
        if d == 0 or y != y:
            return NUM
        step = y / d
        x -= step
        if abs(step) <= tol * max(1.0, abs(x)):
            return x if x - x == 0 else NUM
    return NUM


@function("RATE", "number, number, number, number?, number?, number?", doc=DOC + "rate-function")
def RATE(nper, payment, pv, fv_=0.0, t=0.0, guess=0.1):
    t = _type(t)
    if nper <= 0:
        return NUM

    def f(r):
        if abs(r) < 1e-12:
            return pv + payment * nper + fv_
        g = _grow(r, nper)
        return pv * g + payment * (1 + r * t) * (g - 1) / r + fv_

    def df(r, h=1e-7):
        return (f(r + h) - f(r - h)) / (2 * h)
    got = _newton(f, df, guess)
    if type(got) is ExcelError or got <= -1:
        return NUM
    return got


# ---------------------------------------------------------------- cash flows
@function("NPV", "number, values...", doc=DOC + "npv-function")
def NPV(rate, *values):
    xs = numbers(values)
    if type(xs) is ExcelError:
        return xs
    if rate == -1:
        return DIV0
    total = 0.0
    for i, v in enumerate(xs, 1):
        total += v / (1 + rate) ** i
    return total


def _flows(values):
    """The numbers of a range or array of cash flows (text, TRUE/FALSE and blanks skipped; an
    error among them is #VALUE!)."""
    xs = numbers([values])
    return VALUE if type(xs) is ExcelError else xs


@function("IRR", "values, number?", doc=DOC + "irr-function")
def IRR(values, guess=0.1):
    xs = _flows(values)
    if type(xs) is ExcelError:
        return xs
    if not any(x > 0 for x in xs) or not any(x < 0 for x in xs):
        return NUM

    def f(r):
        return sum(v / (1 + r) ** i for i, v in enumerate(xs))

    def df(r):
        return sum(-i * v / (1 + r) ** (i + 1) for i, v in enumerate(xs))
    got = _newton(f, df, guess)
    return NUM if type(got) is ExcelError or got <= -1 else got


@function("MIRR", "values, number, number", doc=DOC + "mirr-function")
def MIRR(values, finance_rate, reinvest_rate):
    xs = _flows(values)
    if type(xs) is ExcelError:
        return xs
    n = len(xs)
    pos = sum(v * (1 + reinvest_rate) ** (n - 1 - i) for i, v in enumerate(xs) if v > 0)
    neg = sum(v / (1 + finance_rate) ** i for i, v in enumerate(xs) if v < 0)
    if pos == 0 or neg == 0:
        return DIV0
    return (-pos / neg) ** (1.0 / (n - 1)) - 1


def _dated_flows(values, dates):
    vs, ds = flat(values), flat(dates)
    if len(vs) != len(ds):
        return NUM
    out = []
    for v, d in zip(vs, ds):
        if type(v) is ExcelError:
            return v
        if type(d) is ExcelError:
            return d
        x, day = atp.number(v), atp.number(d)
        if type(x) is ExcelError or type(day) is ExcelError:
            return VALUE
        if day < 0:
            return NUM
        out.append((x, math.floor(day)))
    if not out or any(day < out[0][1] for _, day in out):
        return NUM
    return out


def _xnpv(rate, flows):
    d0 = flows[0][1]
    return sum(v / (1 + rate) ** ((d - d0) / 365.0) for v, d in flows)


@function("XNPV", "values, values, values", context=True, doc=DOC + "xnpv-function")
def XNPV(ctx, rate, values, dates):
    rate = atp.number(atp.scalar(ctx, rate))
    if type(rate) is ExcelError:
        return rate
    if rate <= 0:
        return NUM
    flows = _dated_flows(values, dates)
    if type(flows) is ExcelError:
        return flows
    return _xnpv(rate, flows)


@function("XIRR", "values, values, values?", context=True, doc=DOC + "xirr-function")
def XIRR(ctx, values, dates, guess=0.1):
    guess = atp.number(atp.scalar(ctx, guess))
    if type(guess) is ExcelError:
        return guess
    if guess <= -1:
        return NUM
    flows = _dated_flows(values, dates)
    if type(flows) is ExcelError:
        return flows
    if not any(v > 0 for v, _ in flows) or not any(v < 0 for v, _ in flows):
        return NUM
    d0 = flows[0][1]

    def df(r):
        return sum(-(d - d0) / 365.0 * v / (1 + r) ** ((d - d0) / 365.0 + 1) for v, d in flows)
    got = _newton(lambda r: _xnpv(r, flows), df, guess)
    return NUM if type(got) is ExcelError or got <= -1 else got


@function("FVSCHEDULE", "number, values", doc=DOC + "fvschedule-function")
def FVSCHEDULE(principal, schedule):
    out = principal
    for v in flat(schedule):
        if type(v) is ExcelError:
            return v
        x = 0.0 if v is None else atp.number(v)
        if type(x) is ExcelError:
            return VALUE
        out *= 1 + x
    return out


# ---------------------------------------------------------------- rates
@function("EFFECT", "values, values", context=True, doc=DOC + "effect-function")
@atp.scalars
def EFFECT(nominal, npery):
    xs = atp.numbers(nominal, npery)
    if type(xs) is ExcelError:
        return xs
    r, p = xs[0], math.trunc(xs[1])
    if r <= 0 or p < 1:
        return NUM
    return (1 + r / p) ** p - 1


@function("NOMINAL", "values, values", context=True, doc=DOC + "nominal-function")
@atp.scalars
def NOMINAL(effect, npery):
    xs = atp.numbers(effect, npery)
    if type(xs) is ExcelError:
        return xs
    r, p = xs[0], math.trunc(xs[1])
    if r <= 0 or p < 1:
        return NUM
    return ((1 + r) ** (1.0 / p) - 1) * p


@function("ISPMT", "number, number, number, number", doc=DOC + "ispmt-function")
def ISPMT(rate, per, nper, pv):
    if nper == 0:
        return DIV0
    return pv * rate * (per / nper - 1)


@function("PDURATION", "number, number, number", doc=DOC + "pduration-function")
def PDURATION(rate, pv, fv_):
    if rate <= 0 or pv <= 0 or fv_ <= 0:
        return NUM
    return (math.log(fv_) - math.log(pv)) / math.log(1 + rate)


@function("RRI", "number, number, number", doc=DOC + "rri-function")
def RRI(nper, pv, fv_):
    if nper <= 0 or pv == 0:
        return NUM
    return (fv_ / pv) ** (1.0 / nper) - 1


@function("DOLLARDE", "values, values", context=True, doc=DOC + "dollarde-function")
@atp.scalars
def DOLLARDE(dollar, fraction):
    xs = atp.numbers(dollar, fraction)
    if type(xs) is ExcelError:
        return xs
    d, f = xs[0], math.trunc(xs[1])
    if f < 0:
        return NUM
    if f == 0:
        return DIV0
    whole = math.trunc(d)
    digits = math.ceil(math.log10(f)) if f > 1 else 1
    return whole + (d - whole) * 10 ** digits / f


@function("DOLLARFR", "values, values", context=True, doc=DOC + "dollarfr-function")
@atp.scalars
def DOLLARFR(dollar, fraction):
    xs = atp.numbers(dollar, fraction)
    if type(xs) is ExcelError:
        return xs
    d, f = xs[0], math.trunc(xs[1])
    if f < 0:
        return NUM
    if f == 0:
        return DIV0
    whole = math.trunc(d)
    digits = math.ceil(math.log10(f)) if f > 1 else 1
    return whole + (d - whole) * f / 10 ** digits


# ---------------------------------------------------------------- depreciation
@function("SLN", "number, number, number", doc=DOC + "sln-function")
def SLN(cost, salvage, life):
    if life == 0:
        return DIV0
    return (cost - salvage) / life


@function("SYD", "number, number, number, number", doc=DOC + "syd-function")
def SYD(cost, salvage, life, per):
    if life <= 0 or per <= 0 or per > life:
        return NUM
    return (cost - salvage) * (life - per + 1) * 2 / (life * (life + 1))


def ddb(cost, salvage, life, period, factor):
    """Double-declining balance depreciation of one period (a closed form: what is left after
    period - 1 periods times the rate, never below the salvage)."""
    rate = factor / life
    if rate >= 1:
        rate = 1.0
        old = cost if period == 1 else 0.0
    else:
        old = cost * (1 - rate) ** (period - 1)
    new = cost * (1 - rate) ** period
    d = old - salvage if new < salvage else old - new
    return max(d, 0.0)


@function("DDB", "number, number, number, number, number?", doc=DOC + "ddb-function")
def DDB(cost, salvage, life, period, factor=2.0):
    if cost < 0 or salvage < 0 or life <= 0 or period <= 0 or period > life or factor <= 0:
        return NUM
    return ddb(cost, salvage, life, period, factor)


@function("DB", "number, number, number, number, number?", doc=DOC + "db-function")
def DB(cost, salvage, life, period, month=12.0):
    month = math.trunc(month)
    if cost < 0 or salvage < 0 or life <= 0 or period <= 0 or month < 1 or month > 12:
        return NUM
    if period > life + (month < 12) or period != math.trunc(period):
        return NUM
    if cost == 0:
        return 0.0
    rate = round(1 - (salvage / cost) ** (1 / life), 3)
    total = cost * rate * month / 12
    if period == 1:
        return total
    for p in range(2, int(period) + 1):
        d = (cost - total) * rate
        if p == life + 1:
            d *= (12 - month) / 12
        if p == period:
            return d
        total += d
    return NUM


def _vdb(cost, salvage, life, start, end, factor, switch):
    """VDB as Excel computes it: the declining balance (factor / life of the book value a
    period, never below the salvage), switching to straight line over the remaining life when
    that is larger (unless no_switch), walked from 0 in steps of one period that fall on `start`
    (a first step of start's fraction when it has one), a part of a period depreciating that
    part of it; the steps from start to end are added (koala__VDB.xlsx, as Excel saved it)."""
    rate = min(factor / life, 1.0)
    frac = start - math.floor(start)
    t, book, total = 0.0, cost, 0.0
    straight = None                          # the straight-line amount a period, once switched
    while t < end:
        h = frac if (t == 0 and frac > 0) else 1.0
        h = min(h, end - t)
        if straight is not None:
            dep = straight * h
        else:
            dep = min(book * rate * h, max(book - salvage, 0.0))
            sl = (book - salvage) / (life - t) if life > t else book - salvage
            if switch and sl * h > dep:
                straight = sl
                dep = sl * h
        if t >= start:
            total += dep
        book -= dep
        t += h
    return total


@function("VDB", "number, number, number, number, number, number?, logical?", doc=DOC + "vdb-function")
def VDB(cost, salvage, life, start, end, factor=2.0, no_switch=False):
    if start < 0 or end < start or end > life or cost < 0 or salvage > cost or factor <= 0 or life <= 0:
        return NUM
    return _vdb(cost, salvage, life, start, end, factor, not no_switch)
