"""Excel's number formats, as TEXT(value, format) applies them: "0.00", "#,##0", "0%",
"0.00E+00", "# ?/?", "yyyy-mm-dd hh:mm:ss", "[h]:mm", "[<10]0;0.0", "General", text sections.

A format is up to four sections separated by ";": positive (or everything), negative, zero,
text; [conditions] choose sections instead. In a section:
    0 # ?       digits: 0 shows a zero, ? a space, # nothing where the number has no digit
    . ,         the decimal point; a comma between digits groups thousands, one after the
                last digit (or before the point) divides by 1,000
    %           multiplies by 100 and shows itself
    E+ E-       scientific notation
    /           a fraction: the digits before it are the numerator (and an integer part before
                those), after it the denominator (or a fixed one: # ?/8)
    y m d h s   dates and times (m is minutes after h or before s), AM/PM, A/P, [h] [m] [s]
                elapsed time, .0 fractions of a second
    @           the text itself (text section)
    "x" \\x     literal text; _x a space; *x (fill) nothing; [Red] [$-409] ignored; [$€-407] €
A format Excel would not accept (an unclosed quote, @ in a number section, date codes among
number digits) is #VALUE!, as TEXT gives.
"""
import math
import re
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import lru_cache

from ..serial import MAX_SERIAL, from_serial, weekday_of
from ..values import VALUE, ExcelError

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]
_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
_DIGITS = "0#?"
_CONDITION = re.compile(r"\[\s*(<=|>=|<>|<|>|=)\s*(-?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s*\]")
_DATE_CODES = "ymdhse"


class Bad(Exception):
    """A format Excel refuses."""


# ---------------------------------------------------------------- parsing
class Section:
    __slots__ = ("tokens", "cond", "kind", "has_text", "elapsed")

    def __init__(self, tokens, cond):
        self.tokens, self.cond = tokens, cond
        self.has_text = any(t[0] == "at" for t in tokens)
        dates = [t for t in tokens if t[0] in ("date", "ampm", "elapsed")]
        digits = any(t[0] == "digit" for t in tokens)
        self.elapsed = any(t[0] == "elapsed" for t in tokens)
        if dates and (digits and not _subsecond_digits(tokens)):
            raise Bad("date codes among number digits")
        self.kind = "date" if dates else "number" if digits else "literal"


def _subsecond_digits(tokens):
    """Digits that only follow a seconds code's point (ss.000) are its fraction of a second."""
    seen_s = False
    for i, t in enumerate(tokens):
        if t[0] in ("date", "elapsed") and t[1][0] == "s":
            seen_s = True
        elif t[0] == "digit" and not (seen_s and t[1] == "0"):
            return False
    return True


def _split_sections(fmt):
    out, cur, i, n = [], [], 0, len(fmt)
    while i < n:
        ch = fmt[i]
        if ch == '"':
            j = fmt.find('"', i + 1)
            if j < 0:
                raise Bad("unclosed quote")
            cur.append(fmt[i:j + 1])
            i = j + 1
        elif ch in "\\_*":
            cur.append(fmt[i:i + 2])
            i += 2
        elif ch == "[":
            j = fmt.find("]", i)
            if j < 0:
                raise Bad("unclosed bracket")
            cur.append(fmt[i:j + 1])
            i = j + 1
        elif ch == ";":
            out.append("".join(cur))
            cur = []
            i += 1
        else:
            cur.append(ch)
            i += 1
    out.append("".join(cur))
    return out


def _tokens(text):
    """A section's text -> (tokens, condition)."""
    toks, cond, i, n = [], None, 0, len(text)
    low = text.lower()
    while i < n:
        ch = text[i]
        c = ch.lower()
        if ch == '"':
            j = text.index('"', i + 1)
            toks.append(("lit", text[i + 1:j]))
            i = j + 1
        elif ch == "\\":
            toks.append(("lit", text[i + 1:i + 2]))
            i += 2
        elif ch == "_":
            toks.append(("lit", " "))
            i += 2
        elif ch == "*":
            i += 2                                   # a fill: nothing in text
        elif ch == "[":
            j = text.index("]", i)
            inner = text[i + 1:j]
            m = _CONDITION.fullmatch(text[i:j + 1])
            if m:
                cond = (m.group(1), float(m.group(2)))
            elif re.fullmatch(r"(h+|m+|s+)", inner, re.I):
                toks.append(("elapsed", inner.lower()[0] * min(len(inner), 2)))
            elif inner.startswith("$"):
                sym = inner[1:].split("-")[0]
                if sym:
                    toks.append(("lit", sym))
            i = j + 1                                # colours, locales: nothing
        elif ch in _DIGITS:
            toks.append(("digit", ch))
            i += 1
        elif ch == ".":
            toks.append(("point", "."))
            i += 1
        elif ch == ",":
            toks.append(("comma", ","))
            i += 1
        elif ch == "%":
            toks.append(("pct", "%"))
            i += 1
        elif ch == "@":
            toks.append(("at", "@"))
            i += 1
        elif ch == "/":
            toks.append(("slash", "/"))
            i += 1
        elif c == "e" and text[i + 1:i + 2] in ("+", "-"):
            toks.append(("exp", text[i + 1]))
            i += 2
        elif low.startswith("am/pm", i):
            toks.append(("ampm", "AM/PM"))
            i += 5
        elif low.startswith("a/p", i):
            toks.append(("ampm", text[i:i + 3]))
            i += 3
        elif c in _DATE_CODES or c in "gb":
            j = i
            while j < n and text[j].lower() == c:
                j += 1
            if c in "gb":
                toks.append(("lit", text[i:j]))      # era codes: Japanese/Thai calendars only
            else:
                toks.append(("date", c * (j - i)))
            i = j
        else:
            toks.append(("lit", ch))
            i += 1
    return _merge(toks), cond


def _merge(toks):
    out = []
    for t in toks:
        if t[0] == "lit" and out and out[-1][0] == "lit":
            out[-1] = ("lit", out[-1][1] + t[1])
        else:
            out.append(t)
    return out


@lru_cache(maxsize=512)
def parse(fmt):
    """The sections of a format: (number sections, text section or None); Bad if Excel refuses it."""
    parts = _split_sections(fmt)
    if len(parts) > 4:
        raise Bad("more than four sections")
    sections = [Section(*_tokens(p)) for p in parts]
    text = None
    if len(sections) == 4:
        text = sections.pop()
    elif sections[-1].has_text and len(sections) > 1:
        text = sections.pop()
    for s in sections:
        if s.has_text and (len(sections) > 1 or s.kind != "literal"):
            raise Bad("@ in a number section")
    return sections, text


# ---------------------------------------------------------------- choosing a section
def _holds(cond, x):
    op, y = cond
    return {"<": x < y, ">": x > y, "=": x == y, "<=": x <= y, ">=": x >= y, "<>": x != y}[op]


def _choose(sections, x):
    """(section, value to show, sign to prefix) for the number x; section None: General."""
    if any(s.cond for s in sections):
        for k, s in enumerate(sections[:2]):
            cond = s.cond or ((">=", 0.0) if k == 0 else ("<", 0.0))
            if _holds(cond, x):
                return s, abs(x) if k == 1 or x >= 0 else abs(x), "-" if x < 0 and k == 0 else ""
        if len(sections) > 2:
            return sections[2], abs(x), "-" if x < 0 else ""
        if len(sections) == 2 and not sections[1].cond:
            return sections[1], abs(x), ""
        return None, x, ""
    if len(sections) == 1 or x > 0 or (x == 0 and len(sections) == 2):
        return sections[0], abs(x), "-" if x < 0 else ""
    if x < 0:
        return sections[1], abs(x), ""
    return sections[2], 0.0, ""


# ---------------------------------------------------------------- applying
def format_value(v, fmt, date1904=False):
    """TEXT(v, fmt): text, or #VALUE! for a format Excel refuses."""
    if type(v) is bool:
        return "TRUE" if v else "FALSE"
    if type(v) is ExcelError:
        return v
    try:
        if fmt.strip().lower() == "general":
            return v if type(v) is str else general(0.0 if v is None else v)
        sections, text = parse(fmt)
        if type(v) is str:
            if text is None:
                if len(sections) == 1 and sections[0].has_text:
                    text = sections[0]
                else:
                    return v
            return "".join(v if t[0] == "at" else t[1] if t[0] == "lit" else "" for t in text.tokens)
        x = 0.0 if v is None else float(v)
        sec, shown, sign = _choose(sections, x)
        if sec is None:
            return general(x)
        if sec.kind == "date":
            out = _date(sec, shown if sign == "" else -shown if not sec.elapsed else x, date1904)
            if sec.elapsed and x < 0 and sign:
                return out
            return sign + out if not sec.elapsed else out
        if sec.kind == "literal":
            return sign + "".join(t[1] for t in sec.tokens if t[0] == "lit")
        return _number(sec, shown, sign)
    except Bad:
        return VALUE


def general(x):
    """A number in General format as TEXT writes it: at most 11 characters besides the sign."""
    if x == 0:
        return "0"
    sign, a = ("-" if x < 0 else ""), abs(x)
    if 1e-9 <= a < 1e11:
        ip = len(str(int(a))) if a >= 1 else 1
        d = max(0, 10 - ip)
        s = _fixed_digits(a, d)
        if "." in s:
            s = s.rstrip("0").rstrip(".")
        if len(s) <= 11:
            return sign + s
    e = int(math.floor(math.log10(a)))
    m = Decimal(repr(a)).scaleb(-e).quantize(Decimal("0.00001"), ROUND_HALF_UP)
    if m >= 10:
        m, e = m / 10, e + 1
    ms = format(m, "f").rstrip("0").rstrip(".")
    return f"{sign}{ms}E{'+' if e >= 0 else '-'}{abs(e):02d}"


def _fixed_digits(a, d):
    """a rounded half away from zero to d decimals, from its shortest decimal form (Excel rounds
    2.675 to 2.68: its 15-digit value, not the binary one)."""
    with localcontext() as ctx:
        ctx.prec = 400                               # 15 digits and up to 127+308 places
        q = Decimal(format(a, ".15g")).quantize(Decimal(1).scaleb(-d), ROUND_HALF_UP)
        return format(q, "f")


def fixed(x, decimals, no_commas, currency):
    """FIXED and DOLLAR: rounded to `decimals` (negative: left of the point), thousands grouped."""
    if decimals > 127:
        return VALUE
    if decimals < 0:
        with localcontext() as ctx:
            ctx.prec = 400
            q = Decimal(format(abs(x), ".15g")).scaleb(decimals).quantize(Decimal(1), ROUND_HALF_UP)
            digits = format(q.scaleb(-decimals), "f").split(".")[0]
    else:
        digits = _fixed_digits(abs(x), decimals)
    ip, _, fp = digits.partition(".")
    if not no_commas:
        ip = "{:,}".format(int(ip))
    body = currency + ip + ("." + fp if fp else "")
    if x < 0 and float(digits) != 0:
        return "(" + body + ")" if currency else "-" + body
    return body


# ---------------------------------------------------------------- numbers
def _number(sec, x, sign):
    toks = sec.tokens
    if any(t[0] == "slash" for t in toks):
        got = _fraction(sec, x, sign)
        if got is not None:
            return got
    exp_at = next((i for i, t in enumerate(toks) if t[0] == "exp"), None)
    if exp_at is not None:
        return sign + _scientific(toks, exp_at, x)
    # scaling: each % times 100; commas after the last digit (or right before the point) /1000
    scale = sum(1 for t in toks if t[0] == "pct") * 2
    toks, groups, thousands = _commas(toks)
    scale -= 3 * thousands
    x = x * 10 ** scale if scale else x
    point = next((i for i, t in enumerate(toks) if t[0] == "point"), None)
    int_toks = toks if point is None else toks[:point]
    dec_toks = [] if point is None else toks[point:]
    n_dec = sum(1 for t in dec_toks if t[0] == "digit")
    digits = _fixed_digits(x, n_dec)
    ip, _, fp = digits.partition(".")
    ip = "" if ip == "0" else ip
    return sign + _integer_part(int_toks, ip, groups, x) + _decimal_part(dec_toks, fp)


def _commas(toks):
    """Each comma's role: grouping (between digits of the integer part), scaling (after the last
    digit, or right before the point), literal (after something that is not a digit), or nothing
    (between digits of the fraction, or before text followed by more digits)."""
    out, groups, scaling = [], False, 0
    point = next((i for i, t in enumerate(toks) if t[0] == "point"), len(toks))
    last_digit = max((i for i, t in enumerate(toks) if t[0] == "digit"), default=-1)
    for i, t in enumerate(toks):
        if t[0] != "comma":
            out.append(t)
            continue
        prev = toks[i - 1] if i else None
        if prev is None or prev[0] not in ("digit", "comma"):
            out.append(("lit", ","))
            continue
        j = i
        while j < len(toks) and toks[j][0] == "comma":
            j += 1
        nxt = toks[j] if j < len(toks) else None
        if i > last_digit or (nxt is not None and nxt[0] == "point"):
            scaling += 1
        elif nxt is not None and nxt[0] == "digit" and i < point:
            groups = True
    return _merge(out), groups, scaling


def _integer_part(toks, ip, groups, x):
    places = [i for i, t in enumerate(toks) if t[0] == "digit"]
    n = len(places)
    if not ip and x < 1 and n and all(toks[p][1] == "#" for p in places) and not any(
            t[0] in ("point",) for t in toks):
        ip = ""
    out = []
    extra = ip[:-n] if n and len(ip) > n else ("" if n else ip)
    own = ip[-n:] if n else ""
    own = own.rjust(n, "\0")
    k = max(len(ip), n)                                    # position of the next digit, from the right

    def sep(k, d):                                        # after the digit d shown at place k
        if groups and k > 1 and (k - 1) % 3 == 0:
            return "," if d.strip() else d
        return ""
    slot = 0
    for i, t in enumerate(toks):
        if t[0] != "digit":
            if t[0] in ("lit", "pct"):
                out.append(t[1])
            continue
        chunk = ""
        if slot == 0:
            for d in extra:
                chunk += d + sep(k, d)
                k -= 1
        d = own[slot]
        if d == "\0":
            d = "0" if t[1] == "0" else " " if t[1] == "?" else ""
        chunk += d + sep(k, d)
        k -= 1
        slot += 1
        out.append(chunk)
    if not places:
        return ip + "".join(out) if ip else "".join(out)
    return "".join(out)


def _decimal_part(toks, fp):
    out, i = [], 0
    sig = [any(c != "0" for c in fp[j:]) for j in range(len(fp))]
    for t in toks:
        if t[0] == "digit":
            d = fp[i]
            if not sig[i] and d == "0":
                d = "0" if t[1] == "0" else " " if t[1] == "?" else ""
            out.append(d)
            i += 1
        elif t[0] in ("lit", "pct", "point"):
            out.append(t[1])
    return "".join(out)


def _scientific(toks, at, x):
    mant, expo = toks[:at], toks[at + 1:]
    if not any(t[0] == "digit" for t in expo) or (expo and expo[0][0] != "digit"):
        raise Bad("no exponent digits")
    point = next((i for i, t in enumerate(mant) if t[0] == "point"), None)
    int_toks = mant if point is None else mant[:point]
    dec_toks = [] if point is None else mant[point:]
    n_int = sum(1 for t in int_toks if t[0] == "digit")
    n_dec = sum(1 for t in dec_toks if t[0] == "digit")
    if x == 0:
        e = 0
    else:
        e = int(math.floor(math.log10(x)))
        zeros = all(t[1] == "0" for t in int_toks if t[0] == "digit")
        if n_int > 1 and not zeros:
            e = (e // n_int) * n_int
        elif n_int > 1:
            e -= n_int - 1
    m = _fixed_digits(x / 10 ** e if x else 0.0, n_dec)
    if float(m) >= 10 ** max(n_int, 1) and x:
        e += max(n_int, 1)
        m = _fixed_digits(x / 10 ** e, n_dec)
    ip, _, fp = m.partition(".")
    ip = "" if ip == "0" and x else ip
    mtxt = _integer_part(int_toks, ip, False, 1.0) + _decimal_part(dec_toks, fp)
    sign_tok = toks[at][1]
    es = "-" if e < 0 else ("+" if sign_tok == "+" else "")
    n_exp = sum(1 for t in expo if t[0] == "digit")
    etxt = _integer_part(expo, str(abs(e)) if abs(e) else "", False, 1.0)
    if not etxt.strip() or (abs(e) == 0 and n_exp):
        etxt = _integer_part(expo, "0", False, 1.0) if any(t[1] == "0" for t in expo if t[0] == "digit") else "0"
    return mtxt + "E" + es + etxt


# ---------------------------------------------------------------- fractions
def _fraction(sec, x, sign):
    toks = sec.tokens
    s = max(i for i, t in enumerate(toks) if t[0] == "slash")
    after = toks[s + 1:]
    den_places = []
    fixed_den = None
    j = 0
    while j < len(after) and after[j][0] == "lit" and not after[j][1][:1].isdigit():
        j += 1                                       # literals between the bar and the denominator
    lead = "".join(t[1] for t in after[:j])
    after = after[j:]
    j = 0
    while j < len(after) and after[j][0] == "digit":
        den_places.append(after[j][1])
        j += 1
    if not den_places:
        m = re.match(r"[0-9]+", after[0][1]) if after and after[0][0] == "lit" else None
        if m is None:
            return None
        fixed_den = int(m.group(0))
        if fixed_den == 0:
            return None
    tail = after[j:] if fixed_den is None else [("lit", after[0][1][len(str(fixed_den)):])] + after[1:]
    before = toks[:s]
    # numerator: the last run of digits before the slash (literals may sit between it and the slash)
    k = len(before) - 1
    while k >= 0 and before[k][0] != "digit":
        k -= 1
    if k < 0:
        return None
    num_end = k
    while k >= 0 and before[k][0] == "digit":
        k -= 1
    num_toks = before[k + 1:num_end + 1]
    bar = before[num_end + 1:] + [("lit", "/" + lead)]
    head = before[:k + 1]
    last_int = max((i for i, t in enumerate(head) if t[0] == "digit"), default=-1)
    int_toks, gap = head[:last_int + 1], head[last_int + 1:]
    has_int = last_int >= 0
    ip = math.floor(x) if has_int else 0
    frac = x - ip
    max_den = fixed_den or 10 ** len(den_places) - 1
    num, den = _approximate(frac, max_den, fixed_den)
    if num == den and num:
        ip, num = ip + 1, 0
    if not has_int:
        num += ip * den
    placeholders = [t[1] for t in int_toks + num_toks if t[0] == "digit"] + den_places
    show_zero = any(t[1] == "0" for t in num_toks)
    int_txt = _int_of(int_toks, ip, num == 0 and ip == 0 and not show_zero)
    last_int = [t[1] for t in int_toks if t[0] == "digit"][-1:] or ["#"]
    nothing = x == 0 and show_zero          # 0 as 0/1: the integer part shows 0 unless its digit is #
    if nothing:
        int_txt = _pad(int_toks, "") if last_int[0] == "#" else _pad(int_toks, "0")
    out = [sign]
    if has_int:
        out.append(int_txt)
    else:
        out.append("".join(t[1] for t in head if t[0] == "lit"))
    frac_txt = "".join(t[1] for t in bar if t[0] == "lit")
    if num == 0 and not show_zero and has_int:
        region = "".join(t[1] for t in gap if t[0] == "lit") + "".join(
            t[1] if t[0] == "lit" else " " for t in num_toks) + frac_txt + "".join(den_places)
        out.append(" " * len(region) if "?" in placeholders else "")
    else:
        if has_int:
            g = "".join(t[1] for t in gap if t[0] == "lit")
            if nothing:
                g = "" if last_int[0] == "#" else g
            elif ip == 0 and not any(t[1] == "0" for t in int_toks if t[0] == "digit"):
                g = " " * len(g) if any(t[1] == "?" for t in int_toks + num_toks if t[0] == "digit") else ""
            out.append(g)
        out.append(_pad(num_toks, str(num)))
        out.append(frac_txt)
        out.append(str(den).ljust(len(den_places)) if fixed_den is None and "?" in den_places
                   else str(den).rjust(len(den_places), "0") if den_places and den_places[0] == "0"
                   else str(den))
    out.append("".join(t[1] for t in tail if t[0] in ("lit", "pct")))
    return "".join(out)


def _int_of(int_toks, ip, whole_zero):
    if ip == 0:
        txt = _pad(int_toks, "")
        if whole_zero:                               # 0 shows as "0" in its last place
            places = [i for i, t in enumerate(int_toks) if t[0] == "digit"]
            parts = []
            for i, t in enumerate(int_toks):
                if t[0] == "digit":
                    parts.append("0" if i == places[-1] or t[1] == "0" else " " if t[1] == "?" else "")
                else:
                    parts.append(t[1])
            return "".join(parts)
        return txt
    return _pad(int_toks, str(ip))


def _pad(toks, digits):
    return _integer_part(toks, digits, False, 1.0)


def _approximate(frac, max_den, fixed_den):
    """The fraction num/den closest to frac with den <= max_den (or den = fixed_den)."""
    if fixed_den:
        return int(Decimal(repr(frac * fixed_den)).quantize(Decimal(1), ROUND_HALF_UP)), fixed_den
    if frac == 0:
        return 0, 1
    best = (abs(frac), 0, 1)
    # continued fractions: the convergents and their semiconvergents
    h0, h1, k0, k1 = 0, 1, 1, 0
    y = frac
    for _ in range(64):
        a = math.floor(y)
        for t in range(max(1, a // 2), a + 1):
            h, k = t * h1 + h0, t * k1 + k0
            if k > max_den:
                break
            err = abs(frac - h / k)
            if err < best[0] - 1e-15:
                best = (err, h, k)
        h0, h1, k0, k1 = h1, a * h1 + h0, k1, a * k1 + k0
        if k1 > max_den or y == a:
            break
        y = 1 / (y - a)
    if abs(frac - 1) < best[0]:
        return 1, 1
    return best[1], best[2]


# ---------------------------------------------------------------- dates and times
def _date(sec, x, date1904):
    toks = sec.tokens
    sub = 0
    for i, t in enumerate(toks):
        if t[0] == "point" and i + 1 < len(toks) and toks[i + 1][0] == "digit":
            j = i + 1
            while j < len(toks) and toks[j][0] == "digit" and toks[j][1] == "0":
                j += 1
            sub = max(sub, j - i - 1)
    if sec.elapsed:
        others = [t for t in toks if t[0] in ("date", "ampm")]
        if x < 0 and (others or sub or len([t for t in toks if t[0] == "elapsed"]) > 1):
            raise Bad("negative time")
    elif x < 0 or x > MAX_SERIAL + 1 - 1e-9 or (not date1904 and x >= MAX_SERIAL + 1):
        raise Bad("not a date")
    unit = 86400 * 10 ** sub
    total = int(Decimal(repr(abs(x) * unit)).quantize(Decimal(1), ROUND_HALF_UP)) if not sec.elapsed or x >= 0 \
        else -int(Decimal(repr(-x * unit)).quantize(Decimal(1), ROUND_HALF_UP))
    day, rest = divmod(abs(total), unit)
    secs_all, frac_units = divmod(rest, 10 ** sub)
    hh, mm, ss = secs_all // 3600, secs_all // 60 % 60, secs_all % 60
    if not sec.elapsed and day > MAX_SERIAL:
        raise Bad("not a date")
    ymd = from_serial(float(day), date1904) if not sec.elapsed or any(t[0] == "date" and t[1][0] in "ymde"
                                                                      for t in toks) else (1900, 1, 0)
    if ymd is None:
        raise Bad("not a date")
    y, mo, d = ymd
    ampm = any(t[0] == "ampm" for t in toks)
    h12 = (hh % 12 or 12) if ampm else hh
    minutes = _minute_positions(toks)
    out = []
    for i, t in enumerate(toks):
        kind, code = t
        if kind in ("lit", "pct", "slash", "comma"):
            out.append(code)
        elif kind == "point":                    # ss.000: the fraction of a second
            run = 0
            while i + 1 + run < len(toks) and toks[i + 1 + run][0] == "digit":
                run += 1
            out.append("." + str(frac_units).rjust(sub, "0")[:run])
        elif kind == "digit":
            continue
        elif kind == "elapsed":
            c = code[0]
            v = total // 10 ** sub
            n = v // 3600 if c == "h" else v // 60 if c == "m" else v
            if v < 0:
                n = -((-v) // 3600 if c == "h" else (-v) // 60 if c == "m" else -v)
            out.append(("-" if n < 0 else "") + str(abs(n)).rjust(len(code), "0"))
        elif kind == "ampm":
            pm = hh >= 12
            if code.upper() == "AM/PM":
                out.append("PM" if pm else "AM")
            else:
                a, p = code.split("/")
                out.append(p if pm else a)
        else:
            c, n = code[0], len(code)
            if c in "ye":
                out.append(str(y)[-2:].rjust(2, "0") if c == "y" and n <= 2 else str(y))
            elif c == "m" and i in minutes:
                out.append(str(mm).rjust(min(n, 2), "0"))
            elif c == "m":
                out.append(str(mo).rjust(2, "0") if n == 2 else str(mo) if n == 1 else
                           _MONTHS[mo - 1][:3] if n == 3 else _MONTHS[mo - 1][0] if n == 5 else _MONTHS[mo - 1])
            elif c == "d":
                wd = weekday_of(float(day), date1904)
                out.append(str(d).rjust(2, "0") if n == 2 else str(d) if n == 1 else
                           _DAYS[wd][:3] if n == 3 else _DAYS[wd])
            elif c == "h":
                out.append(str(h12).rjust(min(n, 2), "0"))
            elif c == "s":
                out.append(str(ss).rjust(min(n, 2), "0"))
    return "".join(out)


def _minute_positions(toks):
    """Indexes of the m/mm codes that are minutes: right after an hour code or right before a
    seconds code (literals between them do not count as codes)."""
    codes = [(i, t[1]) for i, t in enumerate(toks) if t[0] in ("date", "elapsed")]
    out = set()
    for n, (i, code) in enumerate(codes):
        if code[0] != "m" or len(code) > 2:
            continue
        prev = codes[n - 1][1] if n else ""
        nxt = codes[n + 1][1] if n + 1 < len(codes) else ""
        if prev[:1] == "h" or nxt[:1] == "s":
            out.add(i)
    return out
