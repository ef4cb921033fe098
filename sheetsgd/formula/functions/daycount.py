"""Day-count conventions: the `basis` argument of YEARFRAC and of the bond functions.

    0  US (NASD) 30/360      1  actual/actual      2  actual/360
    3  actual/365            4  European 30/360

Dates are serials of the 1900 system; from_serial gives each one's year, month and day as
Excel sees them (1900-02-29 included), and day counts are differences of serials, as Excel's.
The actual/actual year of YEARFRAC is Excel's own rule: within one year (or less than a year
apart across a new year) the length of that year, 366 when a February 29 falls between the
dates; over longer spans the average length of the years spanned.
"""
from ..serial import from_serial, is_leap, serial_of


def _real_leap(y):
    return is_leap(y, date1904=True)


def _last_of_feb(y, m, d):
    return m == 2 and d == (29 if is_leap(y) else 28)


def days_30_360(a, b, basis):
    """Days from serial a to b counted 30/360 (basis 0: US, 4: European)."""
    (y1, m1, d1), (y2, m2, d2) = from_serial(a), from_serial(b)
    if basis == 4:
        d1, d2 = min(d1, 30), min(d2, 30)
    else:
        feb1, feb2 = _last_of_feb(y1, m1, d1), _last_of_feb(y2, m2, d2)
        if feb1 and feb2:
            d2 = 30
        if d1 == 31 or feb1:
            d1 = 30
        if d2 == 31 and d1 == 30:
            d2 = 30
    return (y2 - y1) * 360 + (m2 - m1) * 30 + (d2 - d1)


def _feb29_between(a, b):
    (y1, _, _), (y2, _, _) = from_serial(a), from_serial(b)
    for y in range(y1, y2 + 1):
        if is_leap(y):
            feb29 = serial_of(y, 3, 0)
            if a <= feb29 <= b:
                return True
    return False


def year_fraction(a, b, basis):
    """YEARFRAC of two whole-day serials, either order."""
    if a > b:
        a, b = b, a
    if basis == 0 or basis == 4:
        return days_30_360(a, b, basis) / 360.0
    if basis == 2:
        return (b - a) / 360.0
    if basis == 3:
        return (b - a) / 365.0
    (y1, m1, d1), (y2, m2, d2) = from_serial(a), from_serial(b)
    if y1 == y2 or (y2 == y1 + 1 and (m1, d1) >= (m2, d2)):
        if y1 == y2 and is_leap(y1):
            length = 366.0
        elif _feb29_between(a, b) or (m2 == 2 and d2 == 29):
            length = 366.0
        else:
            length = 365.0
        return (b - a) / length
    years = y2 - y1 + 1
    span = sum(366 if _real_leap(y) else 365 for y in range(y1, y2 + 1))   # 1900 has 365 days here
    return (b - a) / (span / years)
