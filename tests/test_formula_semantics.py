"""Excel's semantics, each expected value taken from Microsoft's documentation of the function
or operator (quoted in the comments), on books built by hand."""
import math

import pytest
from test_formula_helpers import make_book

from sheetsgd.formula import evaluate_book, evaluate_formula
from sheetsgd.formula.values import DIV0, NA, NAME, NUM, REF, VALUE

# Sheet1: A1 blank (no cell), A2 "" (empty text), A3 0, A4 "abc", A5 TRUE, A6 2, A7 "3"
CELLS = {"A2": "", "A3": 0.0, "A4": "abc", "A5": True, "A6": 2.0, "A7": "3",
         "B1": 1.0, "B2": 2.0, "B3": 3.0, "B4": 4.0, "B5": 5.0, "B6": 6.0, "B7": 7.0,
         "C1": "#N/A-free", "D1": 10.0, "D2": 20.0}
BOOK = make_book({"Sheet1": CELLS})


def ev(text):
    return evaluate_formula(text, BOOK, "Sheet1")


# ---------------------------------------------------------------- blank, "" and 0
def test_blank_is_zero_in_arithmetic_but_empty_text_is_value_error():
    # "If a cell is empty, Excel treats it as 0 in arithmetic"; text that is not a number,
    # "" included, gives #VALUE! ("=""""+1" is #VALUE! in Excel).
    assert ev("=A1+1") == 1.0
    assert ev("=A1*5") == 0.0
    assert ev("=A2+1") == VALUE
    assert ev("=A4+1") == VALUE
    assert ev("=A7+1") == 4.0          # text that looks like a number converts: ="3"+1 is 4
    assert ev("=A1") == 0.0            # a formula showing a blank cell shows 0


def test_blank_in_comparisons_equals_zero_and_empty_text():
    # Excel: a blank cell compared with a number is 0, with text is "" (both =A1=0 and =A1="" are TRUE)
    assert ev("=A1=0") is True
    assert ev('=A1=""') is True
    assert ev("=A1=FALSE") is True
    assert ev("=A2=0") is False        # "" is text, and text is never equal to a number
    assert ev('=A2=""') is True


def test_comparison_order_numbers_text_booleans():
    # Excel's comparison order: numbers < text < logical values; text ignores case
    assert ev('=1<"a"') is True
    assert ev('=99999<"0"') is True
    assert ev('=TRUE>"zzz"') is True
    assert ev("=FALSE<TRUE") is True
    assert ev('="abc"="ABC"') is True
    assert ev('="b">"A"') is True
    assert ev("=1=TRUE") is False      # no conversion in comparisons


def test_booleans_in_arithmetic_and_in_sum():
    # TRUE+1 = 2 (logical values convert in arithmetic); SUM: "If an argument is an array or
    # reference, only numbers in that array or reference are counted. Empty cells, logical
    # values, or text in the array or reference are ignored."; typed directly they count.
    assert ev("=TRUE+1") == 2.0
    assert ev("=A5*3") == 3.0
    assert ev("=SUM(A1:A7)") == 2.0     # only A3=0 and A6=2 are numbers
    assert ev("=SUM(TRUE,1)") == 2.0
    assert ev('=SUM("3",1)') == 4.0
    assert ev('=SUM("abc",1)') == VALUE


def test_count_counta_countblank():
    # COUNT: "If an argument is an array or reference, only numbers in that array or reference
    # are counted"; "Logical values and text representations of numbers that you type directly
    # into the list of arguments are counted."
    assert ev("=COUNT(A1:A7)") == 2.0
    assert ev('=COUNT(TRUE,"3",A1:A7,"x")') == 4.0
    # COUNTA: "counts cells containing any type of information, including error values and
    # empty text ("")" -- A2 ("") counts, A1 (blank) does not.
    assert ev("=COUNTA(A1:A7)") == 6.0
    # COUNTBLANK: "Cells with formulas that return "" (empty text) are also counted."
    assert ev("=COUNTBLANK(A1:A7)") == 2.0


def test_average_ignores_text_booleans_blanks_in_ranges():
    # AVERAGE: "If a range or cell reference argument contains text, logical values, or empty
    # cells, those values are ignored; however, cells with the value zero are included."
    assert ev("=AVERAGE(A1:A7)") == 1.0       # (0 + 2) / 2
    assert ev("=AVERAGE(A1:A2)") == DIV0      # no numbers at all
    assert ev("=MAX(A1:A7)") == 2.0
    assert ev("=MIN(A4:A5)") == 0.0           # "If the arguments contain no numbers, MIN returns 0"


def test_sumxmy2_family_skip_pairs_with_blank_or_text():
    # SUMXMY2: "If an array or reference argument contains text, logical values, or empty cells,
    # those values are ignored" (the whole pair is skipped, as bias!V42 shows: 0.319 in Excel);
    # "If array_x and array_y have a different number of values, SUMXMY2 returns #N/A."
    assert ev("=SUMXMY2(A1:A7,B1:B7)") == (0 - 3) ** 2 + (2 - 6) ** 2
    assert ev("=SUMX2MY2(A1:A7,B1:B7)") == (0 - 9) + (4 - 36)
    assert ev("=SUMX2PY2(A1:A7,B1:B7)") == (0 + 9) + (4 + 36)
    assert ev("=SUMXMY2(A1:A7,B1:B6)") == NA
    assert ev("=SUMXMY2(B1:B4,{1,2;3,4})") == 0.0     # counts agree (4 and 4): pairs in row order


def test_sumproduct_treats_non_numbers_as_zero_and_needs_equal_shapes():
    # SUMPRODUCT: "treats non-numeric array entries as if they were zeros"; "The array
    # arguments must have the same dimensions. If they do not, SUMPRODUCT returns #VALUE!"
    assert ev("=SUMPRODUCT(A1:A7,B1:B7)") == 0 * 3 + 2 * 6
    assert ev("=SUMPRODUCT(B1:B3,B4:B6)") == 1 * 4 + 2 * 5 + 3 * 6
    assert ev("=SUMPRODUCT(B1:B3,B4:B7)") == VALUE
    assert ev("=SUMPRODUCT(B1:B3)") == 6.0
    assert ev("=SUMPRODUCT((B1:B3-B4:B6)^2)") == 27.0   # operators work element-wise inside


def test_mmult_and_array_rules():
    # MMULT: "If any cells are empty or contain text, or if the number of columns in array1 is
    # different from the number of rows in array2, MMULT returns the #VALUE! error value."
    assert ev("=MMULT({1,2;3,4},{5;6})") == [[17.0], [39.0]]
    assert ev("=MMULT(B1:B2,D1:D2)") == VALUE          # 2x1 times 2x1
    assert ev("=MMULT(TRANSPOSE(B1:B2),D1:D2)") == 50.0
    assert ev("=MMULT(A1:A2,B1:B2)") == VALUE
    assert ev("=SUMSQ(B1:B3)") == 14.0


def test_errors_are_values_never_exceptions():
    assert ev("=1/0") == DIV0                 # "#DIV/0! ... when a number is divided by zero (0)"
    assert ev("=SQRT(-1)") == NUM             # SQRT: "If number is negative, SQRT returns #NUM!"
    assert ev("=LN(0)") == NUM                # LN is defined for positive numbers only
    assert ev("=LOG(-1)") == NUM
    assert ev("=EXP(1000)") == NUM            # beyond 1.8e308: Excel's #NUM!
    assert ev("=10^400") == NUM
    assert ev("=0^0") == NUM                  # POWER: 0^0 is #NUM! in Excel
    assert ev("=0^-1") == DIV0
    assert ev("=(-8)^(1/3)") == NUM
    assert ev("=1E308*10") == NUM             # overflow is #NUM!, never inf
    assert ev("=MATCH(99,B1:B7,0)") == NA     # MATCH: "If MATCH is unsuccessful ... #N/A"
    assert ev("=INDEX(B1:B7,8)") == REF       # INDEX: "If row_num ... does not point to a cell within array, #REF!"
    assert ev("=FOO(1)") == NAME              # unknown function: #NAME?
    assert ev("=nosuchname+1") == NAME
    assert ev("=#N/A+1") == NA
    assert ev("=1/0+#N/A") == DIV0            # the left error wins
    assert ev("=SUM(B1:B3,1/0)") == DIV0
    assert ev("=IFERROR(1/0,7)") == 7.0
    assert ev("=ISERROR(1/0)") is True
    assert ev("=ISBLANK(A1)") is True
    assert ev("=ISBLANK(A2)") is False
    assert ev("=ISNUMBER(A6)") is True
    assert ev("=ISNUMBER(A7)") is False
    assert ev("=nosheet!A1") == REF


def test_logic_functions():
    assert ev("=IF(B1>0,\"pos\",\"neg\")") == "pos"
    assert ev("=IF(A1,1,2)") == 2.0            # blank is FALSE
    assert ev("=IF(B1>5,1)") is False          # missing else-branch: FALSE
    assert ev("=IF(1/0,1,2)") == DIV0
    assert ev("=IF(TRUE,1,1/0)") == 1.0        # the other branch is not computed
    assert ev('=IF("abc",1,2)') == VALUE
    assert ev("=AND(TRUE,1,B1:B3)") is True
    assert ev("=OR(FALSE,0)") is False
    assert ev("=NOT(0)") is True
    assert ev("=AND(A4)") == VALUE             # a range with no logical values: #VALUE!
    assert ev("=TRUE()") is True and ev("=FALSE()") is False


def test_math_functions():
    assert ev("=ABS(-2)") == 2.0
    assert ev("=SQRT(16)") == 4.0
    assert ev("=EXP(1)") == math.e
    assert ev("=LN(EXP(2))") == 2.0
    assert ev("=LOG(1000)") == 3.0
    assert ev("=LOG(8,2)") == 3.0
    assert ev("=LOG10(0.01)") == -2.0
    assert ev("=POWER(2,10)") == 1024.0
    assert ev("=PI()") == math.pi
    assert ev("=TANH(0.5)") == math.tanh(0.5)
    assert ev("=SIGN(-3)") == -1.0
    # ROUND: "rounds half away from zero": 2.5 -> 3, -2.5 -> -3; it works on decimal digits
    assert ev("=ROUND(2.5,0)") == 3.0
    assert ev("=ROUND(-2.5,0)") == -3.0
    assert ev("=ROUND(1.005,2)") == 1.01
    assert ev("=ROUND(1234.5678,-2)") == 1200.0
    assert ev("=INT(-8.9)") == -9.0            # INT: "Rounds a number down to the nearest integer"
    assert ev("=MOD(3,2)") == 1.0
    assert ev("=MOD(-3,2)") == 1.0             # MOD: "The result has the same sign as divisor"
    assert ev("=MOD(3,-2)") == -1.0
    assert ev("=MOD(3,0)") == DIV0
    assert ev("=CEILING(2.5,1)") == 3.0
    assert ev("=CEILING(-2.5,-2)") == -4.0
    assert ev("=CEILING(2.5,-2)") == NUM       # positive number, negative significance
    assert ev("=FLOOR(-2.5,-2)") == -2.0
    assert ev("=FLOOR(2.5,1)") == 2.0
    assert ev("=_xlfn.CEILING.MATH(0.3)") == 1.0
    assert ev("=_xlfn.CEILING.MATH(-5.5,2)") == -4.0      # CEILING.MATH(-5.5,2) = -4 (docs example)
    assert ev("=_xlfn.CEILING.MATH(-5.5,2,-1)") == -6.0   # mode away from zero: -6 (docs example)


def test_statistics():
    # VAR.P of {1,2,3,4}: population variance 1.25; STDEV.P its square root
    assert ev("=_xlfn.VAR.P({1,2,3,4})") == 1.25
    assert ev("=VARP(B1:B4)") == 1.25
    assert ev("=_xlfn.STDEV.P(B1:B4)") == math.sqrt(1.25)
    assert ev("=VAR.P(A1:A2)") == DIV0


def test_lookup_and_reference():
    # MATCH type 1: largest value <= lookup in ascending data; 0: exact; -1: smallest >= in descending
    assert ev("=MATCH(3.5,B1:B7)") == 3.0
    assert ev("=MATCH(3.5,B1:B7,1)") == 3.0
    assert ev("=MATCH(4,B1:B7,0)") == 4.0
    assert ev("=MATCH(0.5,B1:B7,1)") == NA
    assert ev("=MATCH(3.5,{7,6,5,4,3,2,1},-1)") == 4.0
    assert ev('=MATCH("B?",{"ax","by","bz"},0)') == 2.0
    assert ev('=MATCH("BY",{"ax","by","bz"},0)') == 2.0
    assert ev("=INDEX(B1:B7,3)") == 3.0
    assert ev("=INDEX({1,2;3,4},2,2)") == 4.0
    assert ev("=INDEX({1,2,3},1,3)") == 3.0
    assert ev("=INDEX({1,2,3},3)") == 3.0      # a single row takes its index along the row
    assert ev("=SUM(INDEX(B1:D7,0,1))") == 28.0   # column 0 -> the whole column
    assert ev("=OFFSET(B1,2,0)") == 3.0
    assert ev("=SUM(OFFSET(B1,1,0,3,1))") == 9.0
    assert ev("=OFFSET(B1,-1,0)") == REF
    assert ev("=ROW(B5)") == 5.0
    assert ev("=COLUMN(D2)") == 4.0
    assert ev("=ROWS(B1:D7)") == 7.0
    assert ev("=COLUMNS(B1:D7)") == 3.0
    assert ev("=ROW()") == 1.0
    assert ev("=SUM(B1:INDEX(B1:B7,3))") == 6.0    # a range ending at a function's reference


def test_text_concatenation_uses_general_format():
    assert ev('="x"&1') == "x1"
    assert ev('="x"&0.5') == "x0.5"
    assert ev('="x"&TRUE') == "xTRUE"
    assert ev('="x"&A1') == "x"
    assert ev("=1/3&\"\"") == "0.333333333333333"   # General format: 15 significant digits
    assert ev("=1E+20&\"\"") == "1E+20"


def test_range_where_a_single_value_is_expected_is_intersected():
    # Microsoft, "Implicit intersection operator: @": "If the value is a range, then use the
    # cell on the same row or column as the formula"; a plain (non-array) formula does that
    # wherever one value is wanted: operators, and arguments that take one value.
    book = make_book({"S": {"A1": 1.0, "A2": 2.0, "A3": 3.0, "B2": "=A1:A3*10", "C1": "=A1:A3",
                            "D2": "=A1:A3", "E1": "=SQRT(A1:A3)", "F5": "=A1:A3", "G2": "=@A1:A3",
                            "H2": "=_xlfn.SINGLE(A1:A3)+1", "I2": "=MMULT({1,2;3,4},{1;1})"}})
    values = evaluate_book(book).values
    assert values[("S", "D2")] == 2.0
    assert values[("S", "C1")] == 1.0
    assert values[("S", "B2")] == 20.0
    assert values[("S", "E1")] == 1.0
    assert values[("S", "F5")] == VALUE        # no cell of A1:A3 on row 5
    assert values[("S", "G2")] == 2.0
    assert values[("S", "H2")] == 3.0
    # "An array formula ... in a single cell" shows the array's first value
    assert values[("S", "I2")] == 3.0


LOOKUP = make_book({"S": {"A1": 1.0, "A2": 5.0, "A3": "apple", "A4": "Banana", "A5": 10.0,
                          "B1": 10.0, "B2": 20.0, "B3": 30.0, "B4": 40.0, "B5": 50.0}})


@pytest.mark.parametrize("text, expected", [
    # COUNTIF/SUMIF criteria ("Use the wildcard characters ... question mark (?) and asterisk (*)";
    # "criteria ... such as 32, ">32", B4, "apples""; text matching ignores case)
    ('=COUNTIF(A1:A6,">4")', 2.0),
    ('=COUNTIF(A1:A6,"a*")', 1.0),
    ('=COUNTIF(A1:A6,"APPLE")', 1.0),
    ('=COUNTIF(A1:A6,"")', 1.0),           # the blank A6
    ('=COUNTIF(A1:A6,"<>")', 5.0),         # non-blank
    ("=COUNTIF(A1:A5,5)", 1.0),
    ('=SUMIF(A1:A5,">=5",B1:B5)', 70.0),
    ('=SUMIF(A1:A5,">=5")', 15.0),
    ('=AVERAGEIF(A1:A5,"<>apple",B1:B5)', 30.0),
    ('=SUMIFS(B1:B5,A1:A5,">1",B1:B5,"<50")', 20.0),
    ('=COUNTIFS(A1:A5,"*an*",B1:B5,">10")', 1.0),
    # "The actual cells that are added are determined by using the upper leftmost cell in the
    # sum_range argument as the beginning cell, and then including cells that correspond in
    # size and shape to the range argument."
    ('=SUMIF(A1:A5,">1",B1:B4)', 70.0),
    # VLOOKUP: "If range_lookup is FALSE, VLOOKUP will only find an exact match"; col_index_num
    # "greater than the number of columns in table_array ... #REF!"; "less than 1 ... #VALUE!"
    ("=VLOOKUP(5,A1:B5,2,FALSE)", 20.0),
    ('=VLOOKUP("BANANA",A1:B5,2,FALSE)', 40.0),
    ("=VLOOKUP(7,A1:B2,2)", 20.0),         # approximate: the largest value <= 7
    ("=VLOOKUP(7,A1:B2,3)", REF),
    ("=VLOOKUP(7,A1:B2,0)", VALUE),
    ("=VLOOKUP(7,A1:B5,2,FALSE)", NA),
    ("=HLOOKUP(5,{1,5;10,50},2,FALSE)", 50.0),
    # LARGE/SMALL: "If k <= 0 or if k is greater than the number of data points, #NUM!"
    ("=LARGE(A1:B5,2)", 40.0),
    ("=SMALL(A1:A5,1)", 1.0),
    ("=SMALL(A1:A5,9)", NUM),
    ("=MEDIAN(1,2,3,4)", 2.5),             # "If there is an even number of numbers ... the average of the two in the middle"
    ('=CONCATENATE("a",1,TRUE)', "a1TRUE"),
    ('=LEN("abc")', 3.0),
    ("=N(TRUE)", 1.0),
])
def test_lookups_conditional_aggregates_and_text(text, expected):
    assert evaluate_formula(text, LOOKUP, "S") == expected
