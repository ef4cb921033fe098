"""Text functions: each case is an example of Microsoft's page for the function (the entry's doc
link) with the result the page gives; then the corpus's cached values where Excel does what no
page says (the file and cell named)."""
import pytest
from cells import close, ev, table

from sheetsgd.formula.values import NA, VALUE

DOCUMENTED = [
    # LEFT, RIGHT, MID, LEN
    ("=LEFT(A2,4)", table([["Data"], ["Sale Price"]]), "Sale"), ("=LEFT(A2)", table([["Data"], ["Sweden"]]), "S"),
    ("=RIGHT(A2,5)", table([["Data"], ["Sale Price"]]), "Price"), ("=RIGHT(A2)", table([["Data"], ["Stock Number"]]), "r"),
    ('=MID("Fluid Flow",1,5)', None, "Fluid"), ('=MID("Fluid Flow",7,20)', None, "Flow"), ('=MID("Fluid Flow",20,5)', None, ""),
    ('=LEN("Phoenix, AZ")', None, 11.0), ('=LEN("")', None, 0.0), ('=LEN("     One   ")', None, 11.0),
    # FIND, SEARCH, SUBSTITUTE, REPLACE
    ('=FIND("M","Miriam McGovern")', None, 1.0), ('=FIND("m","Miriam McGovern")', None, 6.0),
    ('=FIND("M","Miriam McGovern",3)', None, 8.0),
    ('=SEARCH("e","Statements",6)', None, 7.0), ('=SEARCH("margin","Profit Margin")', None, 8.0),
    ('=REPLACE("Profit Margin",SEARCH("margin","Profit Margin"),6,"Amount")', None, "Profit Amount"),
    ('=MID("Profit Margin",SEARCH(" ","Profit Margin")+1,4)', None, "Marg"),
    ('=SEARCH("""","The ""boss"" is here.")', None, 5.0),
    ('=SUBSTITUTE("Sales Data", "Sales", "Cost")', None, "Cost Data"),
    ('=SUBSTITUTE("Quarter 1, 2008", "1", "2", 1)', None, "Quarter 2, 2008"),
    ('=SUBSTITUTE("Quarter 1, 2011", "1", "2", 3)', None, "Quarter 1, 2012"),
    ('=REPLACE("abcdefghijk",6,5,"*")', None, "abcde*k"), ('=REPLACE("2009",3,2,"10")', None, "2010"),
    ('=REPLACE("123456",1,3,"@")', None, "@456"),
    # case, cleaning
    ('=UPPER("total")', None, "TOTAL"), ('=LOWER("E. E. Cummings")', None, "e. e. cummings"),
    ('=LOWER("Apt. 2B")', None, "apt. 2b"), ('=PROPER("this is a TITLE")', None, "This Is A Title"),
    ('=PROPER("2-way street")', None, "2-Way Street"), ('=PROPER("76BudGet")', None, "76Budget"),
    ('=TRIM(" First Quarter Earnings ")', None, "First Quarter Earnings"),
    ('=CLEAN(CHAR(9)&"Monthly report"&CHAR(10))', None, "Monthly report"),
    # codes
    ('=CODE("A")', None, 65.0), ('=CODE("!")', None, 33.0), ("=CHAR(65)", None, "A"), ("=CHAR(33)", None, "!"),
    ("=UNICHAR(66)", None, "B"), ("=UNICHAR(32)", None, " "), ("=UNICHAR(0)", None, VALUE),
    ('=UNICODE(" ")', None, 32.0), ('=UNICODE("B")', None, 66.0),
    # comparing, repeating, T
    ('=EXACT("word","word")', None, True), ('=EXACT("Word","word")', None, False), ('=EXACT("w ord","word")', None, False),
    ('=REPT("*-", 3)', None, "*-*-*-"), ('=REPT("-",10)', None, "----------"),
    ("=T(A2)", table([["Data"], ["Rainfall"], [19], [True]]), "Rainfall"),
    ("=T(A3)", table([["Data"], ["Rainfall"], [19], [True]]), ""), ("=T(A4)", table([["Data"], ["Rainfall"], [19], [True]]), ""),
    # text -> number
    ('=VALUE("$1,000")', None, 1000.0), ('=VALUE("16:48:00")-VALUE("12:00:00")', None, 0.2),
    ('=NUMBERVALUE("2.500,27",",",".")', None, 2500.27), ('=NUMBERVALUE("3.5%")', None, 0.035),
    # numbers -> text
    ('=TEXT(1234.567,"$#,##0.00")', None, "$1,234.57"), ('=TEXT(0.285,"0.0%")', None, "28.5%"),
    ('=TEXT(4.34,"# ?/?")', None, "4 1/3"), ('=TRIM(TEXT(0.34,"# ?/?"))', None, "1/3"),
    ('=TEXT(12200000,"0.00E+00")', None, "1.22E+07"),
    ('=TEXT(1234567898,"[<=9999999]###-####;(###) ###-####")', None, "(123) 456-7898"),
    ('=TEXT(1234,"0000000")', None, "0001234"), ("=TEXT(123456,\"##0° 00' 00''\")", None, "12° 34' 56''"),
    ('=TEXT(40982,"MM/DD/YY")', None, "03/14/12"), ('=TEXT(40982,"dddd")', None, "Wednesday"),
    ('=TEXT(0.2856,"H:MM AM/PM")', None, "6:51 AM"), ('=TEXT(1234.567,"0000.0")', None, "1234.6"),
    ("=FIXED(1234.567, 1)", None, "1,234.6"), ("=FIXED(1234.567, -1)", None, "1,230"),
    ("=FIXED(-1234.567, -1, TRUE)", None, "-1230"), ("=FIXED(44.332)", None, "44.33"),
    ("=DOLLAR(1234.567, 2)", None, "$1,234.57"), ("=DOLLAR(1234.567, -2)", None, "$1,200"),
    ("=DOLLAR(-1234.567, -2)", None, "($1,200)"), ("=DOLLAR(-0.123, 4)", None, "($0.1230)"),
    ("=DOLLAR(99.888)", None, "$99.89"),
    # joining and splitting
    ('=CONCAT("The"," ","sun"," ","will"," ","come"," ","up"," ","tomorrow.")', None, "The sun will come up tomorrow."),
    ('=TEXTJOIN(", ", TRUE, A2:A8)', table([["Currency"], ["US Dollar"], ["Australian Dollar"], ["Chinese Yuan"],
                                           ["Hong Kong Dollar"], ["Israeli Shekel"], ["South Korean Won"], ["Russian Ruble"]]),
     "US Dollar, Australian Dollar, Chinese Yuan, Hong Kong Dollar, Israeli Shekel, South Korean Won, Russian Ruble"),
    ('=TEXTBEFORE("Little Red Riding Hood\'s red hood","Red")', None, "Little "),
    ('=TEXTBEFORE("Little red Riding Hood\'s red hood","red",2)', None, "Little red Riding Hood's "),
    ('=TEXTBEFORE("Little red Riding Hood\'s red hood","red",-2)', None, "Little "),
    ('=TEXTBEFORE("Little red Riding Hood\'s red hood","Red")', None, NA),
    ('=TEXTBEFORE("Little red Riding Hood\'s red hood","Red",,1)', None, "Little "),
    ('=TEXTAFTER("Little Red Riding Hood\'s red hood","Red")', None, " Riding Hood's red hood"),
    ('=TEXTAFTER("Little red Riding Hood\'s red hood","red",2)', None, " hood"),
    ('=TEXTAFTER("Little red Riding Hood\'s red hood","red",-2)', None, " Riding Hood's red hood"),
    ('=TEXTAFTER("Little red Riding Hood\'s red hood","Red",,1)', None, " Riding Hood's red hood"),
    ('=TEXTSPLIT("Dakota Lennon Sanchez"," ")', None, [["Dakota", "Lennon", "Sanchez"]]),
    ('=TEXTSPLIT("1,2,3;4,5,6",",",";")', None, [["1", "2", "3"], ["4", "5", "6"]]),
    ('=VALUETOTEXT("Hello",1)', None, '"Hello"'), ("=VALUETOTEXT(1234.01234)", None, "1234.01234"),
    ('=ARRAYTOTEXT({TRUE,"#VALUE!";1234.01234,"Seattle"},1)', None, '{TRUE,"#VALUE!";1234.01234,"Seattle"}'),
    ('=ARRAYTOTEXT({TRUE,1234.01234})', None, "TRUE, 1234.01234"),
    # regular expressions
    ('=REGEXTEST("(378) 555-4195","[0-9]{3}-[0-9]{4}")', None, True),
    ('=REGEXEXTRACT("Sonia Rees (378) 555-4195","[0-9()]+ [0-9-]+")', None, "(378) 555-4195"),
    ('=REGEXREPLACE("Sonia Rees","(\\w+) (\\w+)","$2, $1")', None, "Rees, Sonia"),
]


@pytest.mark.parametrize("formula, cells, want", DOCUMENTED)
def test_documented_examples(formula, cells, want):
    assert close(ev(formula, cells), want)


# What Excel caches in the corpus's files (../shared/corpus), where the pages say nothing
CORPUS = [
    # number formats (Apache POI's NumberFormatTests.xlsx, pycel's text.xlsx)
    ('=TEXT(1234567,"?,?????????")', "    1,234,567"), ('=TEXT(1234567,"0,000000000")', "0,001,234,567"),
    ('=TEXT(1234567,"#,.#,")', "1.2"), ('=TEXT(23.75,"|#\\:#=/=#|")', "|23:3=/=4|"),
    ('=TEXT(0.75,"|?\\:?=/=#|")', "|  3=/=4|"), ('=TEXT(1,"|#\\:#=/=?|")', "|1      |"),
    ('=TEXT(890123.456789,"#.###.#.#.#")', "890123.456.7.8.9"), ('=TEXT(890123.456789,"%#%#%")', "%89012345678%9%"),
    ('=TEXT(-1,"w;x@")', "-w"), ('=TEXT("X","##.00;-  ##.0;""ZERO"";->@<-@")', "->X<-X"),
    ('=TEXT(1.5,"[<10]#"" Wow""")', "2 Wow"), ('=TEXT(-1,"[h]")', "-24"), ('=TEXT(-1,"[h]:m")', VALUE),
    ('=TEXT(130,"d dd ddd dddd ddddd")', "9 09 Wed Wednesday Wednesday"),
    ('=TEXT(130.33332,"hm hmm hmmm")', "759 759 7May"), ('=TEXT(1.23,"#""°F""""")', VALUE),
    ('=TEXT(0.000122,"0.00E-##")', "1.22E-4"), ('=TEXT(112345900000,"General")', "1.12346E+11"),
    # times typed as text beyond the clock (pycel text.xlsx TextDates)
    ('=TEXT("23:99","#.#####")', "1.02708"), ('=TEXT("24:99","#.#####")', "24:99"),
    # SUBSTITUTE's instance TRUE, NUMBERVALUE's parentheses and exponents (formulas test.xlsx)
    ('=SUBSTITUTE("a-b","-","+",TRUE)', VALUE), ('=NUMBERVALUE("(2500,27E+6%)%",",")', -250027.0),
    ('=NUMBERVALUE("1","")', VALUE),
    # AND: T of a block is its first value; REGEXEXTRACT's matches in a row, an unmatched group #N/A
    ('=T({"a","b"})', "a"), ('=REGEXEXTRACT("abc","([ac]+)",1)', [["a", "c"]]),
    ('=REGEXEXTRACT("1a2b3c","((\\d)[bc]+|(3c))",2)', [["2b", "2", NA]]),
    ('=TEXTSPLIT("","1")', VALUE),
]


@pytest.mark.parametrize("formula, want", CORPUS)
def test_what_the_corpus_caches(formula, want):
    assert close(ev(formula), want)


def test_char_and_code_follow_the_saving_excel():
    # Excel for Mac writes CHAR(128) as the Mac character set's Ä (formulas test.xlsx CORE!B159,
    # saved by "Microsoft Macintosh Excel"); Excel for Windows as Windows-1252's €
    from cells import book
    from sheetsgd.formula import evaluate_formula
    mac = book({"A1": 1})
    mac.mac = True
    assert evaluate_formula("=CHAR(128)", mac) == "Ä" and evaluate_formula('=CODE("Ä")', mac) == 128.0
    assert ev("=CHAR(128)") == "€" and ev('=CODE("€")') == 128.0
