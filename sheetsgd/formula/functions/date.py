"""Date and time functions (Excel's category "Date & Time").

Dates are serial numbers in the workbook's date system (serial.py: the 1900 system with its
fake 1900-02-29, or the 1904 system), times fractions of a day. A serial below 0 or past
9999-12-31 is #NUM!. DATE, YEAR, WEEKDAY and the like read their arguments as any function
does (TRUE is 1, "2020-01-31" is a date); EDATE, EOMONTH, WEEKNUM, NETWORKDAYS, WORKDAY and
YEARFRAC came from the Analysis ToolPak and read them its way (atp.py: TRUE is #VALUE!).
NOW and TODAY are volatile (volatile.py).
"""
import math

from ..serial import (days_in_month, from_serial, max_serial, parse_datetime, serial_of, time_of,
                      weekday_of)
from ..values import MISSING, NUM, VALUE, ExcelError
from . import atp
from .args import flat
from .daycount import year_fraction
from .registry import MS_EXCEL, registrar

function = registrar("date")
DOC = MS_EXCEL


def _day(ctx, x):
    """A date argument's whole day, or #NUM! outside the date system."""
    if x < 0 or x >= max_serial(ctx.date1904) + 1:
        return NUM
    return math.floor(x)


def _ymd(ctx, x):
    d = _day(ctx, x)
    if type(d) is ExcelError:
        return d
    return from_serial(d, ctx.date1904)


def _result(ctx, serial):
    """A computed date: #NUM! before the system's first day or past 9999-12-31."""
    if serial is None or serial < 0 or serial > max_serial(ctx.date1904):
        return NUM
    return float(serial)


# ---------------------------------------------------------------- building and taking apart
@function("DATE", "number, number, number", context=True, doc=DOC + "date-function")
def DATE(ctx, year, month, day):
    y, m, d = math.trunc(year), math.trunc(month), math.trunc(day)
    if y < 0 or y >= 10000:
        return NUM
    if y < 1900:
        y += 1900                     # DATE(108,1,2) is 2008-01-02
    if abs(m) > 1e7 or abs(d) > 1e9:
        return NUM
    return _result(ctx, serial_of(y, m, d, ctx.date1904))


@function("TIME", "number, number, number", doc=DOC + "time-function")
def TIME(hour, minute, second):
    h, m, s = math.trunc(hour), math.trunc(minute), math.trunc(second)
    if h > 32767 or m > 32767 or s > 32767:
        return NUM
    total = h * 3600 + m * 60 + s
    if total < 0:
        return NUM
    return (total % 86400) / 86400.0


def _part(name, slug, pick):
    @function(name, "number", context=True, doc=DOC + slug)
    def impl(ctx, serial):
        got = _ymd(ctx, serial)
        return got if type(got) is ExcelError else float(pick(got))
    return impl


_part("YEAR", "year-function", lambda ymd: ymd[0])
_part("MONTH", "month-function", lambda ymd: ymd[1])
_part("DAY", "day-function", lambda ymd: ymd[2])


def _clock(name, slug, pick):
    @function(name, "number", doc=DOC + slug)
    def impl(serial):
        if serial < 0:
            return NUM
        return float(time_of(serial)[pick])
    return impl


_clock("HOUR", "hour-function", 0)
_clock("MINUTE", "minute-function", 1)
_clock("SECOND", "second-function", 2)


# ---------------------------------------------------------------- weekdays and weeks
_WEEK_STARTS = {1: 0, 2: 1, 11: 1, 12: 2, 13: 3, 14: 4, 15: 5, 16: 6, 17: 0}   # 0 = Sunday


@function("WEEKDAY", "number, number?", context=True, doc=DOC + "weekday-function")
def WEEKDAY(ctx, serial, return_type=1.0):
    d = _day(ctx, serial)
    if type(d) is ExcelError:
        return d
    t = math.trunc(return_type)
    w = weekday_of(d, ctx.date1904)          # 0 = Sunday
    if t == 3:
        return float((w + 6) % 7)
    start = _WEEK_STARTS.get(t)
    if start is None:
        return NUM
    return float((w - start) % 7 + 1)


def _iso_week(ctx, d):
    monday_based = (weekday_of(d, ctx.date1904) + 6) % 7
    thursday = d - monday_based + 3
    ymd = from_serial(thursday, ctx.date1904) if thursday >= 0 else (1899, 12, 31)
    jan1 = serial_of(ymd[0], 1, 1, ctx.date1904)
    return float((thursday - jan1) // 7 + 1)


@function("WEEKNUM", "values, values?", context=True, doc=DOC + "weeknum-function")
def WEEKNUM(ctx, serial, return_type=1.0):
    serial, return_type = atp.scalar(ctx, serial), atp.scalar(ctx, return_type)
    xs = atp.numbers(serial, return_type)
    if type(xs) is ExcelError:
        return xs
    d = _day(ctx, xs[0])
    if type(d) is ExcelError:
        return d
    t = math.trunc(xs[1])
    if t == 21:
        return _iso_week(ctx, d)
    start = _WEEK_STARTS.get(t)
    if start is None or t == 3:
        return NUM
    year = from_serial(d, ctx.date1904)[0]
    jan1 = serial_of(year, 1, 1, ctx.date1904)
    offset = (weekday_of(jan1, ctx.date1904) - start) % 7 if jan1 >= 0 else 0
    return float((d - jan1 + offset) // 7 + 1)


@function("ISOWEEKNUM", "number", context=True, doc=DOC + "isoweeknum-function")
def ISOWEEKNUM(ctx, serial):
    d = _day(ctx, serial)
    return d if type(d) is ExcelError else _iso_week(ctx, d)


# ---------------------------------------------------------------- months
def _shift_months(ctx, start, months, end_of_month):
    start, months = atp.scalar(ctx, start), atp.scalar(ctx, months)
    xs = atp.numbers(start, months)
    if type(xs) is ExcelError:
        return xs
    ymd = _ymd(ctx, xs[0])
    if type(ymd) is ExcelError:
        return ymd
    y, m, d = ymd
    total = y * 12 + (m - 1) + math.trunc(xs[1])
    y, m = divmod(total, 12)
    m += 1
    if y < 1900 or y > 9999:
        return NUM
    last = days_in_month(y, m, ctx.date1904)
    return _result(ctx, serial_of(y, m, last if end_of_month else min(d, last), ctx.date1904))


@function("EDATE", "values, values", context=True, doc=DOC + "edate-function")
def EDATE(ctx, start, months):
    return _shift_months(ctx, start, months, False)


@function("EOMONTH", "values, values", context=True, doc=DOC + "eomonth-function")
def EOMONTH(ctx, start, months):
    return _shift_months(ctx, start, months, True)


# ---------------------------------------------------------------- differences
@function("DAYS", "number, number", context=True, doc=DOC + "days-function")
def DAYS(ctx, end, start):
    a, b = _day(ctx, end), _day(ctx, start)
    if type(a) is ExcelError:
        return a
    if type(b) is ExcelError:
        return b
    return float(a - b)


@function("DAYS360", "number, number, logical?", context=True, doc=DOC + "days360-function")
def DAYS360(ctx, start, end, european=False):
    a, b = _ymd(ctx, start), _ymd(ctx, end)
    if type(a) is ExcelError:
        return a
    if type(b) is ExcelError:
        return b
    (y1, m1, d1), (y2, m2, d2) = a, b
    if european:
        d1, d2 = min(d1, 30), min(d2, 30)
    else:
        if d1 == 31 or (m1 == 2 and d1 == days_in_month(y1, 2, ctx.date1904)):
            d1 = 30
        if d2 == 31 and d1 >= 30:
            d2 = 30
    return float((y2 - y1) * 360 + (m2 - m1) * 30 + (d2 - d1))


@function("DATEDIF", "number, number, text", context=True, doc=DOC + "datedif-function")
def DATEDIF(ctx, start, end, unit):
    a, b = _day(ctx, start), _day(ctx, end)
    if type(a) is ExcelError:
        return a
    if type(b) is ExcelError:
        return b
    if a > b:
        return NUM
    (y1, m1, d1), (y2, m2, d2) = from_serial(a, ctx.date1904), from_serial(b, ctx.date1904)
    unit = unit.upper()
    if unit == "D":
        return float(b - a)
    if unit == "Y":
        return float(y2 - y1 - ((m2, d2) < (m1, d1)))
    if unit == "M":
        return float((y2 - y1) * 12 + m2 - m1 - (d2 < d1))
    if unit == "YM":
        return float((m2 - m1 - (d2 < d1)) % 12)
    if unit == "MD":
        if d2 >= d1:
            return float(d2 - d1)
        py, pm = (y2, m2 - 1) if m2 > 1 else (y2 - 1, 12)
        return float(d2 - d1 + days_in_month(py, pm, ctx.date1904))
    if unit == "YD":
        # the end moved into the start's year (or the next): DATEDIF(8, 1987, "YD") is 153,
        # counting Excel's 1900-02-29
        y = y1 if (m2, d2) >= (m1, d1) else y1 + 1
        d = min(d2, days_in_month(y, m2, ctx.date1904))
        return float(serial_of(y, m2, d, ctx.date1904) - a)
    return NUM


@function("YEARFRAC", "values, values, values?", context=True, doc=DOC + "yearfrac-function")
def YEARFRAC(ctx, start, end, basis=0.0):
    # the basis is read first: YEARFRAC(1/0, 2, 5) is #NUM!, YEARFRAC(1/0, 2, "x") #VALUE!
    basis = atp.integer(atp.scalar(ctx, basis))
    if type(basis) is ExcelError:
        return basis
    if basis < 0 or basis > 4:
        return NUM
    xs = atp.numbers(atp.scalar(ctx, start), atp.scalar(ctx, end))
    if type(xs) is ExcelError:
        return xs
    a, b = math.floor(xs[0]), math.floor(xs[1])
    if a < 0 or b < 0 or a > 2958465 or b > 2958465:
        return NUM
    return year_fraction(a, b, basis)


# ---------------------------------------------------------------- text
@function("DATEVALUE", "value", context=True, doc=DOC + "datevalue-function")
def DATEVALUE(ctx, text):
    if type(text) is not str:
        return VALUE
    x = parse_datetime(text, ctx.date1904)
    return VALUE if x is None else float(math.floor(x))


@function("TIMEVALUE", "value", doc=DOC + "timevalue-function")
def TIMEVALUE(text):
    if type(text) is not str:
        return VALUE
    x = parse_datetime(text)
    return VALUE if x is None else x - math.floor(x)


# ---------------------------------------------------------------- working days
_WEEKENDS = {1: (6, 0), 2: (0, 1), 3: (1, 2), 4: (2, 3), 5: (3, 4), 6: (4, 5), 7: (5, 6),
             11: (0,), 12: (1,), 13: (2,), 14: (3,), 15: (4,), 16: (5,), 17: (6,)}   # 0 = Sunday


def _weekend(v):
    """The weekend days (0 = Sunday) of NETWORKDAYS.INTL's and WORKDAY.INTL's weekend argument:
    a number, or seven 0/1 characters from Monday."""
    if type(v) is str:
        if len(v) != 7 or set(v) - {"0", "1"} or v == "1111111":
            return VALUE
        return tuple((i + 1) % 7 for i, c in enumerate(v) if c == "1")
    x = atp.number(v)
    if type(x) is ExcelError:
        return x
    got = _WEEKENDS.get(math.trunc(x))
    return NUM if got is None else got


def _holidays(ctx, v):
    out = set()
    if v is None or v is MISSING:
        return out
    for h in flat(v):
        if h is None:
            continue
        if type(h) is ExcelError:
            return h
        x = atp.number(h)
        if type(x) is ExcelError:
            return x
        d = _day(ctx, x)
        if type(d) is ExcelError:
            return d
        out.add(d)
    return out


def _workdays_args(ctx, a, b, weekend, holidays):
    a, b = atp.scalar(ctx, a), atp.scalar(ctx, b)
    xs = atp.numbers(a, b)
    if type(xs) is ExcelError:
        return xs
    wk = _weekend(atp.scalar(ctx, weekend)) if weekend not in (None, MISSING) else (6, 0)
    if type(wk) is ExcelError:
        return wk
    hol = _holidays(ctx, holidays)
    if type(hol) is ExcelError:
        return hol
    return xs[0], xs[1], frozenset(wk), hol


def _networkdays(ctx, start, end, weekend, holidays):
    got = _workdays_args(ctx, start, end, weekend, holidays)
    if type(got) is ExcelError:
        return got
    a, b, weekend, holidays = got
    a, b = _day(ctx, a), _day(ctx, b)
    if type(a) is ExcelError:
        return a
    if type(b) is ExcelError:
        return b
    sign = 1
    if a > b:
        a, b, sign = b, a, -1
    total = b - a + 1
    weeks, rest = divmod(total, 7)
    count = weeks * (7 - len(weekend))
    w = weekday_of(a, ctx.date1904)
    count += sum(1 for i in range(rest) if (w + i) % 7 not in weekend)
    count -= sum(1 for h in holidays if a <= h <= b and weekday_of(h, ctx.date1904) not in weekend)
    return float(sign * count)


def _workday(ctx, start, days, weekend, holidays):
    got = _workdays_args(ctx, start, days, weekend, holidays)
    if type(got) is ExcelError:
        return got
    a, n, weekend, holidays = got
    d = _day(ctx, a)
    if type(d) is ExcelError:
        return d
    n = math.trunc(n)
    step = 1 if n > 0 else -1
    limit = max_serial(ctx.date1904)
    while n:
        d += step
        if d < 0 or d > limit:
            return NUM
        if weekday_of(d, ctx.date1904) not in weekend and d not in holidays:
            n -= step
    return float(d)


@function("NETWORKDAYS", "values, values, values?", context=True, doc=DOC + "networkdays-function")
def NETWORKDAYS(ctx, start, end, holidays=None):
    return _networkdays(ctx, start, end, None, holidays)


@function("NETWORKDAYS.INTL", "values, values, values?, values?", context=True,
          doc=DOC + "networkdays-intl-function")
def NETWORKDAYS_INTL(ctx, start, end, weekend=1.0, holidays=None):
    return _networkdays(ctx, start, end, weekend, holidays)


@function("WORKDAY", "values, values, values?", context=True, doc=DOC + "workday-function")
def WORKDAY(ctx, start, days, holidays=None):
    return _workday(ctx, start, days, None, holidays)


@function("WORKDAY.INTL", "values, values, values?, values?", context=True, doc=DOC + "workday-intl-function")
def WORKDAY_INTL(ctx, start, days, weekend=1.0, holidays=None):
    return _workday(ctx, start, days, weekend, holidays)
