"""CONVERT (Excel's category "Engineering"): a number from one unit of measure to another.

The units, their abbreviations and the prefixes are those of Microsoft's page for CONVERT.
Each unit is a factor to its kind's base unit (gram, meter, second, pascal, newton, joule,
watt, tesla, liter, square meter, bit, meter per hour); temperatures are converted through
kelvin. Units of different kinds, or text that is no unit, give #N/A.

Excel takes a metric prefix (k, m, u, da or e, ...) only before some units, which the table
marks: "km" and "mg" are units, "kft" and "klbm" are #N/A. A squared or cubed unit takes the
prefix squared or cubed ("km2" is 10^6 m2). bit and byte also take the binary prefixes (ki, Mi,
... = 2^10, 2^20, ...). Which units take prefixes we learned from the cached values of a
workbook Excel saved (every unit with every prefix): Excel lets a few units have one that its
page does not suggest (uk_pt, mph, atm, mmHg).
"""
from ..values import NA, ExcelError
from . import atp
from .registry import MS_EXCEL, registrar

function = registrar("engineering")

_LBM = 453.59237            # grams in a pound (avoirdupois), by definition
_IN = 0.0254                # meters in an inch
_FT = 12 * _IN
_G0 = 9.80665               # standard gravity, m/s^2
_LBF = _LBM / 1000 * _G0    # newtons in a pound-force
_FLB = _LBF * _FT           # joules in a foot-pound
_HP = 550 * _FLB            # watts in a horsepower
_MI = 1609.344
_NMI = 1852.0
_LY = 9460730472580800.0
_GAL = 231 * _IN ** 3 * 1000    # liters in a US gallon
_PICA_PT = _IN / 72

# kind -> {unit: (factor to the kind's base unit, power a prefix is raised to (0: no prefix))}
UNITS = {
    "mass": {  # gram
        "g": (1.0, 1), "sg": (_LBM * _G0 / _FT, 0), "lbm": (_LBM, 0), "u": (1.660538782e-24, 1),
        "ozm": (_LBM / 16, 0), "grain": (0.06479891, 0), "cwt": (100 * _LBM, 0), "shweight": (100 * _LBM, 0),
        "uk_cwt": (112 * _LBM, 0), "lcwt": (112 * _LBM, 0), "hweight": (112 * _LBM, 0),
        "stone": (14 * _LBM, 0), "ton": (2000 * _LBM, 0), "uk_ton": (2240 * _LBM, 0),
        "LTON": (2240 * _LBM, 0), "brton": (2240 * _LBM, 0),
    },
    "distance": {  # meter
        "m": (1.0, 1), "mi": (_MI, 0), "Nmi": (_NMI, 0), "in": (_IN, 0), "ft": (_FT, 0), "yd": (3 * _FT, 0),
        "ang": (1e-10, 1), "ell": (45 * _IN, 0), "ly": (_LY, 1), "parsec": (3.0856775812815532e16, 1),
        "pc": (3.0856775812815532e16, 1), "Picapt": (_PICA_PT, 0), "Pica": (_PICA_PT, 0),
        "pica": (_IN / 6, 0), "survey_mi": (6336000 / 3937, 0),
    },
    "time": {  # second
        "yr": (31557600.0, 0), "day": (86400.0, 0), "d": (86400.0, 0), "hr": (3600.0, 0), "mn": (60.0, 0),
        "min": (60.0, 0), "sec": (1.0, 1), "s": (1.0, 1),
    },
    "pressure": {  # pascal
        "Pa": (1.0, 1), "p": (1.0, 1), "atm": (101325.0, 1), "at": (101325.0, 1), "mmHg": (133.322, 1),
        "psi": (_LBF / _IN ** 2, 0), "Torr": (101325 / 760, 0),
    },
    "force": {  # newton
        "N": (1.0, 1), "dyn": (1e-5, 1), "dy": (1e-5, 1), "lbf": (_LBF, 0), "pond": (0.00980665, 1),
    },
    "energy": {  # joule
        "J": (1.0, 1), "e": (1e-7, 1), "c": (4.184, 1), "cal": (4.1868, 1), "eV": (1.602176487e-19, 1),
        "ev": (1.602176487e-19, 1), "HPh": (_HP * 3600, 0), "hh": (_HP * 3600, 0), "Wh": (3600.0, 1),
        "wh": (3600.0, 1), "flb": (_FLB, 0), "BTU": (1055.05585262, 0), "btu": (1055.05585262, 0),
    },
    "power": {  # watt
        "HP": (_HP, 0), "h": (_HP, 0), "PS": (735.49875, 0), "W": (1.0, 1), "w": (1.0, 1),
    },
    "magnetism": {  # tesla
        "T": (1.0, 1), "ga": (1e-4, 1),
    },
    "volume": {  # liter
        "tsp": (_GAL / 768, 0), "tspm": (0.005, 0), "tbs": (_GAL / 256, 0), "oz": (_GAL / 128, 0),
        "cup": (_GAL / 16, 0), "pt": (_GAL / 8, 0), "us_pt": (_GAL / 8, 0), "uk_pt": (0.56826125, 1),
        "qt": (_GAL / 4, 0), "uk_qt": (1.1365225, 0), "gal": (_GAL, 0), "uk_gal": (4.54609, 0),
        "l": (1.0, 1), "L": (1.0, 1), "lt": (1.0, 1), "ang3": (1e-27, 3), "ang^3": (1e-27, 3),
        "barrel": (42 * _GAL, 0), "bushel": (35.23907016688, 0), "ft3": (_FT ** 3 * 1000, 0),
        "ft^3": (_FT ** 3 * 1000, 0), "in3": (_IN ** 3 * 1000, 0), "in^3": (_IN ** 3 * 1000, 0),
        "ly3": (_LY ** 3 * 1000, 0), "ly^3": (_LY ** 3 * 1000, 0), "m3": (1000.0, 3), "m^3": (1000.0, 3),
        "mi3": (_MI ** 3 * 1000, 0), "mi^3": (_MI ** 3 * 1000, 0), "yd3": ((3 * _FT) ** 3 * 1000, 0),
        "yd^3": ((3 * _FT) ** 3 * 1000, 0), "Nmi3": (_NMI ** 3 * 1000, 0), "Nmi^3": (_NMI ** 3 * 1000, 0),
        "Picapt3": (_PICA_PT ** 3 * 1000, 0), "Picapt^3": (_PICA_PT ** 3 * 1000, 0),
        "Pica3": (_PICA_PT ** 3 * 1000, 0), "Pica^3": (_PICA_PT ** 3 * 1000, 0),
        "GRT": (100 * _FT ** 3 * 1000, 0), "regton": (100 * _FT ** 3 * 1000, 0),
        "MTON": (40 * _FT ** 3 * 1000, 0),
    },
    "area": {  # square meter
        "uk_acre": (4046.8564224, 0), "us_acre": (4046.8726098742522, 0), "ang2": (1e-20, 2),
        "ang^2": (1e-20, 2), "ar": (100.0, 1), "ft2": (_FT ** 2, 0), "ft^2": (_FT ** 2, 0), "ha": (10000.0, 0),
        "in2": (_IN ** 2, 0), "in^2": (_IN ** 2, 0), "ly2": (_LY ** 2, 0), "ly^2": (_LY ** 2, 0),
        "m2": (1.0, 2), "m^2": (1.0, 2), "Morgen": (2500.0, 0), "mi2": (_MI ** 2, 0), "mi^2": (_MI ** 2, 0),
        "Nmi2": (_NMI ** 2, 0), "Nmi^2": (_NMI ** 2, 0), "Picapt2": (_PICA_PT ** 2, 0),
        "Pica2": (_PICA_PT ** 2, 0), "Pica^2": (_PICA_PT ** 2, 0), "Picapt^2": (_PICA_PT ** 2, 0),
        "yd2": ((3 * _FT) ** 2, 0), "yd^2": ((3 * _FT) ** 2, 0),
    },
    "information": {  # bit
        "bit": (1.0, 1), "byte": (8.0, 1),
    },
    "speed": {  # meter per hour
        "admkn": (1853.184, 0), "kn": (_NMI, 0), "m/h": (1.0, 1), "m/hr": (1.0, 1), "m/s": (3600.0, 1),
        "m/sec": (3600.0, 1), "mph": (_MI, 1),
    },
}
# Temperatures are not factors of a base: each is (to kelvin, from kelvin), and only K takes a prefix.
TEMPERATURES = {
    "C": (lambda x: x + 273.15, lambda k: k - 273.15),
    "cel": (lambda x: x + 273.15, lambda k: k - 273.15),
    "F": (lambda x: (x - 32) / 1.8 + 273.15, lambda k: (k - 273.15) * 1.8 + 32),
    "fah": (lambda x: (x - 32) / 1.8 + 273.15, lambda k: (k - 273.15) * 1.8 + 32),
    "K": (lambda x: x, lambda k: k),
    "kel": (lambda x: x, lambda k: k),
    "Rank": (lambda x: x / 1.8, lambda k: k * 1.8),
    "Reau": (lambda x: x * 1.25 + 273.15, lambda k: (k - 273.15) * 0.8),
}
PREFIXES = {
    "Y": 1e24, "Z": 1e21, "E": 1e18, "P": 1e15, "T": 1e12, "G": 1e9, "M": 1e6, "k": 1e3, "h": 1e2,
    "da": 1e1, "e": 1e1, "d": 1e-1, "c": 1e-2, "m": 1e-3, "u": 1e-6, "n": 1e-9, "p": 1e-12, "f": 1e-15,
    "a": 1e-18, "z": 1e-21, "y": 1e-24,
}
BINARY_PREFIXES = {
    "Yi": 2.0 ** 80, "Zi": 2.0 ** 70, "Ei": 2.0 ** 60, "Pi": 2.0 ** 50, "Ti": 2.0 ** 40, "Gi": 2.0 ** 30,
    "Mi": 2.0 ** 20, "ki": 2.0 ** 10,
}
_KIND = {u: (kind, f, p) for kind, units in UNITS.items() for u, (f, p) in units.items()}


def readings(name):
    """Every (kind, factor) a unit's name can be read as, the unit itself first, then a prefix
    and a unit ("pc" is a parsec, and a picocalorie when converted to joules); a temperature's
    factor is (to kelvin, from kelvin, prefix)."""
    out = []
    if name in TEMPERATURES:
        to_k, from_k = TEMPERATURES[name]
        out.append(("temperature", (to_k, from_k, 1.0)))
    got = _KIND.get(name)
    if got is not None:
        out.append((got[0], got[1]))
    for table in (BINARY_PREFIXES, PREFIXES):
        for pre, scale in table.items():
            if not name.startswith(pre) or len(name) == len(pre):
                continue
            rest = name[len(pre):]
            if rest in ("K", "kel"):
                if table is PREFIXES:
                    out.append(("temperature", (TEMPERATURES["K"][0], TEMPERATURES["K"][1], scale)))
                continue
            got = _KIND.get(rest)
            if got is None or got[2] == 0:
                continue
            if table is BINARY_PREFIXES and got[0] != "information":
                continue
            out.append((got[0], got[1] * scale ** got[2]))
    return out


def _pair(a, b):
    """The first readings of the two names of one kind, or None."""
    for ka, fa in readings(a):
        for kb, fb in readings(b):
            if ka == kb:
                return ka, fa, fb
    return None


@function("CONVERT", "values, values, values", context=True, doc=MS_EXCEL + "convert-function")
@atp.scalars
def CONVERT(number, from_unit, to_unit):
    x = atp.number(number)
    if type(x) is ExcelError:
        return x
    names = [atp.text(from_unit), atp.text(to_unit)]
    for n in names:
        if type(n) is ExcelError:
            return n
    got = _pair(*names)
    if got is None:
        return NA
    kind, fa, fb = got
    if kind == "temperature":
        (to_k, _, sa), (_, from_k, sb) = fa, fb
        return from_k(to_k(x * sa)) / sb
    if fa == fb:
        return x
    return x * fa / fb
