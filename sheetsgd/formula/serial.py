"""Dates as Excel holds them: serial numbers, in the 1900 or the 1904 date system.

1900 system (Excel's default): serial 1 is 1900-01-01, and serial 60 is 1900-02-29, a day
that never was (Lotus 1-2-3's leap-year bug, kept by Excel for compatibility); so from
1900-03-01 (serial 61) on, serial = days since 1899-12-30. Serial 0 shows as 1900-01-00.
1904 system (old Mac workbooks, <workbookPr date1904="1"/>): serial 0 is 1904-01-01.
Times are fractions of a day: 0.5 is noon.
"""
import datetime as _dt
import re

EPOCH_1900 = _dt.date(1899, 12, 30)     # serial 0 from 1900-03-01 on
EPOCH_1904 = _dt.date(1904, 1, 1)
MAX_SERIAL = 2958465                    # 9999-12-31 in the 1900 system


def to_serial(year, month, day, date1904=False):
    """The serial of a valid calendar date (a date before the system's start gives a negative)."""
    d = _dt.date(year, month, day)
    if date1904:
        return float((d - EPOCH_1904).days)
    n = (d - EPOCH_1900).days
    if n < 61:          # before 1900-03-01: one less, because of the fake 1900-02-29
        n -= 1
    return float(n)


def from_serial(serial, date1904=False):
    """(year, month, day) of a serial's day (its integer part); 1900-02-29 and 1900-01-00 as
    Excel shows them. None when outside 1900-01-00 (1904-01-01) .. 9999-12-31."""
    n = int(serial // 1)
    if date1904:
        if n < 0 or n > MAX_SERIAL - 1462:
            return None
        d = EPOCH_1904 + _dt.timedelta(days=n)
        return d.year, d.month, d.day
    if n < 0 or n > MAX_SERIAL:
        return None
    if n == 0:
        return 1900, 1, 0
    if n == 60:
        return 1900, 2, 29
    if n < 60:
        n += 1
    d = EPOCH_1900 + _dt.timedelta(days=n)
    return d.year, d.month, d.day


def max_serial(date1904=False):
    """The serial of 9999-12-31 in the date system."""
    return MAX_SERIAL - 1462 if date1904 else MAX_SERIAL


def days_in_month(year, month, date1904=False):
    """Days of a month as Excel counts them: February 1900 has 29 in the 1900 system."""
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap or (year == 1900 and not date1904) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def serial_of(year, month, day, date1904=False):
    """The serial of year-month-day where day may run past the month (or be 0 or negative) and
    month may be outside 1..12, counted from the first of the month as DATE does; 1900-02-29 is
    serial 60 in the 1900 system. None when the year falls outside 0..9999 on the way."""
    y, m = divmod(year * 12 + month - 1, 12)
    if y < 0 or y > 9999:
        return None
    return to_serial(y, m + 1, 1, date1904) + day - 1     # to_serial counts the fake Feb 29


def is_leap(year, date1904=False):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) or (year == 1900 and not date1904)


def weekday_of(serial, date1904=False):
    """0 = Sunday ... 6 = Saturday, as Excel counts (the fake 1900-02-29 included: serial 1 is
    a Sunday in Excel)."""
    n = int(serial // 1)
    if date1904:
        n += 1462
    return (n - 1) % 7 if n >= 1 else 6   # serial 1 (1900-01-01) is a Sunday in Excel


def time_of(serial):
    """(hour, minute, second) of a serial's fraction, rounded to the nearest second as Excel does."""
    secs = round((serial - serial // 1) * 86400)
    if secs >= 86400:
        secs = 86399 if secs > 86400 else 0
    return secs // 3600, secs // 60 % 60, secs % 60


# ---------------------------------------------------------------- text -> date/time
_MONTHS = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
_TIME = r"(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{1,2})(?::(?P<s>[0-9]{1,2}(?:\.[0-9]*)?))?\s*(?P<ampm>[AaPp][Mm])?"
_DATE_FORMS = [
    re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})"),            # 2020-01-31
    re.compile(r"(?P<y>[0-9]{4})/(?P<m>[0-9]{1,2})/(?P<d>[0-9]{1,2})"),            # 2020/01/31
    re.compile(r"(?P<m>[0-9]{1,2})/(?P<d>[0-9]{1,2})/(?P<y>[0-9]{4}|[0-9]{2})"),   # 1/31/2020 (en-US)
    re.compile(r"(?P<d>[0-9]{1,2})[- ](?P<mon>[A-Za-z]{3,9})[- ,]+(?P<y>[0-9]{4}|[0-9]{2})"),  # 31-Jan-2020
    re.compile(r"(?P<mon>[A-Za-z]{3,9})\.? (?P<d>[0-9]{1,2}),? (?P<y>[0-9]{4}|[0-9]{2})"),     # Jan 31, 2020
]
_TIME_ONLY = re.compile(_TIME)


def _month(name):
    return _MONTHS.get(name[:3].lower()) if name.lower()[:3] in _MONTHS and (
        len(name) == 3 or name.lower() in _FULL_MONTHS) else None


_FULL_MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december", "sept"}


def _time_fraction(m):
    h, mi = int(m.group("h")), int(m.group("mi"))
    s = float(m.group("s")) if m.group("s") else 0.0
    ampm = m.group("ampm")
    if ampm:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if ampm.lower() == "pm" else 0)
    if mi > 59 or s >= 60 or (not ampm and h > 9999):
        return None
    return (h * 3600 + mi * 60 + s) / 86400.0


_HMS = re.compile(r"([0-9]+):([0-9]+)(?::([0-9]+))?(\.[0-9]*)?")


def _time_text(s):
    """A time of two or three parts, as Excel reads it beyond the clock's ranges (the corpus's
    cached values): h:m with m up to 9999 ("23:99" is 1.027...; past 23 hours m must be under
    60), h:m:s with m under 60 and s up to 9999, m:s.f with a fraction ("59:9999.0"); a lone
    trailing point leaves h:m ("23:59.")."""
    m = _HMS.fullmatch(s)
    if m is None:
        return None
    a, b, c, frac = m.group(1), m.group(2), m.group(3), m.group(4)
    if len(a) > 4 or len(b) > 4 or (c is not None and len(c) > 4):
        return None
    a, b = int(a), int(b)
    if c is not None:
        if b >= 60:
            return None
        secs = a * 3600 + b * 60 + int(c) + (float(frac) if frac and frac != "." else 0.0)
    elif frac and frac != ".":
        if a >= 60:
            return None
        secs = a * 60 + b + float(frac)
    else:
        if a > 23 and b >= 60:
            return None
        secs = a * 3600 + b * 60
    return secs / 86400.0


def parse_datetime(text, date1904=False):
    """A date, a time, or a date and a time written as text -> serial; None if it is neither."""
    s = text.strip()
    if not s or len(s) > 64:
        return None
    if ":" in s and not any(c.isalpha() for c in s.replace("AM", "").replace("PM", "").replace(
            "am", "").replace("pm", "")):
        got = _time_text(s)
        if got is not None:
            return got
    m = _TIME_ONLY.fullmatch(s)
    if m is not None:
        return _time_fraction(m)
    for form in _DATE_FORMS:
        m = form.match(s)
        if m is None:
            continue
        rest = s[m.end():].strip()
        frac = 0.0
        if rest:
            if rest[:1] in ("T", "t") and form is _DATE_FORMS[0]:
                rest = rest[1:]
            tm = _TIME_ONLY.fullmatch(rest)
            if tm is None:
                return None
            frac = _time_fraction(tm)
            if frac is None:
                return None
        y = int(m.group("y"))
        if len(m.group("y")) == 2:
            y += 2000 if y < 30 else 1900      # Excel's two-digit year rule (1930-2029)
        month = int(m.group("m")) if "m" in m.groupdict() and m.group("m") else _month(m.group("mon"))
        if month is None:
            return None
        try:
            serial = to_serial(y, month, int(m.group("d")), date1904)
        except ValueError:
            return None
        if serial < 0 or y > 9999 or (not date1904 and y < 1900):
            return None
        return serial + frac
    return None
