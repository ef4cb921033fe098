"""XML from untrusted parts, parsed safely, and the text rules of OOXML.

lxml parses with no DTD loaded, no entity resolved, nothing fetched from the network and no
huge trees; a part with a DOCTYPE is refused by name (Excel never writes one). The text helpers
give character data as an XML parser would (entities, line ends) for the reader's regular
expressions, and undo OOXML's _xHHHH_ escapes.
"""
import re

from lxml import etree

from . import limits
from .limits import ReadError

_DOCTYPE = ("{name} has a DOCTYPE (entity or DTD declarations), which workbooks never contain: "
            "refusing to read it")


class NotPlain(Exception):
    """Text the regular-expression reader does not take: the sheet is read with lxml instead."""


CHUNK = 1 << 18               # bytes fed to the parser at a time: what it holds between prunings


def _parser(root_tag, tags):
    """A pull parser that hands over the start of the root (if it is a <root_tag>) and the ends of
    elements named in tags."""
    return etree.XMLPullParser(events=("start", "end"), tag=[f"{{*}}{t}" for t in (root_tag, *tags)],
                               resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                               remove_comments=True, remove_pis=True)


_START_TAG = re.compile(rb"<[A-Za-z_][^>]*>")


class _Wanted(dict):
    """{'{namespace}name': is name one of wanted}, filled as tags come."""

    def __init__(self, wanted):
        super().__init__()
        self.wanted = wanted

    def __missing__(self, tag):
        got = self[tag] = local(tag) in self.wanted
        return got


class _Feed:
    """Feeds a part to a pull parser a slice at a time, keeping only the root and the elements not
    yet ended (see elements())."""

    def __init__(self, name, root_tag, wanted, count=None):
        self.name, self.root_tag, self.wanted, self.count = name, root_tag, wanted, count
        self.parser = _parser(root_tag, wanted)
        self.top, self.head, self.fed = None, b"", 0
        self.tags = _Wanted(wanted)                # tag -> is it a wanted one

    def feed(self, data):
        """The wanted elements that ended in this slice."""
        if len(self.head) < 1 << 16:
            self.head += data[:(1 << 16) - len(self.head)]
            _refuse_doctype_prolog(self.head, self.name)
        self.fed += len(data)
        if self.count is not None:
            self.count(data.count(b"<") - data.count(b"</"), self.name)   # elements (and comments) starting here
        self.parser.feed(data)
        events = self.parser.read_events()
        if self.top is not None:                   # the common case: one C-level pass over the events
            wanted = self.tags
            return [el for event, el in events if event == "end" and wanted[el.tag]]
        out = []
        for event, el in events:
            if event == "start":
                if self.top is None and el.getparent() is None:
                    self.top = el
            elif self.tags[el.tag] and el is not self.top:
                out.append(el)
        if self.top is None:
            m = _START_TAG.search(self.head)
            if (m and self.fed >= m.end()) or len(self.head) >= 1 << 16:
                raise ReadError(f"{self.name}: its root element is not <{self.root_tag}>")
        return out

    def prune(self):
        """Drop what has ended: every element but the last child of each element on the path to
        where the parser is, down to an element being read that the caller wants (kept whole,
        up to limits.MAX_CHILDREN children)."""
        node = self.top
        while node is not None and len(node):
            if local(node.tag) in self.wanted:
                if len(node) > limits.MAX_CHILDREN:
                    raise ReadError(f"{self.name}: a <{local(node.tag)}> with over {limits.MAX_CHILDREN:,} "
                                    f"elements in it, the limit")
                return
            if len(node) > 1:
                del node[:-1]
            node = node[-1]

    def close(self):
        """The wanted elements that ended last; the root checked for a DTD."""
        top = self.parser.close()
        out = [el for event, el in self.parser.read_events()
               if event == "end" and el is not self.top and self.tags[el.tag]]
        refuse_dtd(top, self.name)
        return out


def _chunks(source):
    """Bytes in slices of CHUNK, from bytes, a bytearray or a stream with read()."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        view = memoryview(source)
        for k in range(0, len(view), CHUNK):
            yield bytes(view[k:k + CHUNK])
        return
    while True:
        data = source.read(CHUNK)
        if not data:
            return
        yield data


def elements(source, name, root_tag, wanted, root=False, count=None):
    """Each element of a part whose local name is in `wanted`, at its end with its children,
    parsed safely (no DTD loaded, no entity resolved, nothing fetched, no huge text); with
    root=True the root element last (its attributes; its children are gone). The root must be a
    <root_tag>. libxml2 parses the part a slice at a time and hands over only the wanted
    elements; after each slice everything that has ended is dropped, so the memory held is a
    slice's worth whatever the part holds, and an element being read may not grow past
    limits.MAX_CHILDREN children. count(n, name), if given, is told how many elements
    each slice starts (before it is parsed: it may refuse them)."""
    feed = _Feed(name, root_tag, wanted, count)
    try:
        for data in _chunks(source):
            yield from feed.feed(data)
            feed.prune()
        yield from feed.close()
    except etree.XMLSyntaxError as e:
        raise ReadError(f"{name} is not well-formed XML ({(e.msg or str(e))[:200]})") from None
    if root:
        yield feed.top


class Frame:
    """A worksheet fed around its cells: everything but the inside of <sheetData>, which must
    come out a well-formed worksheet without a DTD whose <sheetData> is its root's own child,
    once, and empty; NotPlain otherwise (a DOCTYPE or a limit: ReadError). Pruned as it is fed:
    no tree, whatever its size."""

    def __init__(self, part, count=None):
        self.feed_ = _Feed(part, "worksheet", ("sheetData",), count)
        self.found = 0

    def feed(self, data):
        try:
            for el in self.feed_.feed(data):
                self._saw(el)
            self.feed_.prune()
        except etree.XMLSyntaxError:
            raise NotPlain from None
        except ReadError as e:
            if self.feed_.top is not None or "DOCTYPE" in str(e):
                raise                              # a DOCTYPE, or over a limit
            raise NotPlain from None               # not a <worksheet>: the lxml path says so

    def close(self):
        try:
            for el in self.feed_.close():
                self._saw(el)
        except etree.XMLSyntaxError:
            raise NotPlain from None
        if self.found != 1:
            raise NotPlain

    def _saw(self, sheet_data):
        up = sheet_data.getparent()
        self.found += up is self.feed_.top and not len(sheet_data) and not sheet_data.text


def _refuse_doctype_prolog(head, name):
    """Refuse a DOCTYPE before libxml2 sees it, so the message says what the file holds.
    (libxml2 with these options neither expands nor fetches entities either way.)"""
    root = re.search(rb"<[A-Za-z_]", head)
    if b"<!DOCTYPE" in (head[:root.start()] if root else head):
        raise ReadError(_DOCTYPE.format(name=name))


def refuse_dtd(el, name):
    info = el.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise ReadError(_DOCTYPE.format(name=name))


def local(tag):
    """'{namespace}sheet' -> 'sheet' (comments and processing instructions: '')."""
    return tag.rpartition("}")[2] if tag.__class__ is str else ""


def namespace(el):
    """The '{namespace}' prefix of an element's tag ('' without one)."""
    return el.tag[:el.tag.index("}") + 1] if el.tag.startswith("{") else ""


# ------------------------------------------------------------------------- text

_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def unescape(s):
    """OOXML writes control characters as _xHHHH_ (e.g. _x000D_ for CR)."""
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), s) if "_x" in s else s


def rich_text(el, t_tag, r_tag):
    """Text of an <si> or <is>: its <t>, or its runs' <t> concatenated; phonetic runs skipped."""
    parts = []
    for child in el:
        if child.tag == t_tag:
            parts.append(child.text or "")
        elif child.tag == r_tag:
            for t in child:
                if t.tag == t_tag:
                    parts.append(t.text or "")
    return unescape("".join(parts))


_XML_ESCAPE = re.compile(r"&(#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6}|lt|gt|amp|quot|apos);|&")
_XML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def _xml_char(m):
    e = m.group(1)
    if e is None:
        raise NotPlain                             # a bare "&" or an undeclared entity
    if e[0] != "#":
        return _XML_NAMED[e]
    try:
        return chr(int(e[2:], 16) if e[1] == "x" else int(e[1:]))
    except (ValueError, OverflowError):
        raise NotPlain from None


def xml_text(s):
    """Character data as an XML parser gives it: entities replaced, line ends normalised."""
    if "&" in s:
        s = _XML_ESCAPE.sub(_xml_char, s)
    if "\r" in s:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    return s


def inline_text(raw):
    """An inline string's text as it stands in <is><t>: entities, line ends and _xHHHH_ replaced."""
    return unescape(xml_text(raw)) if "&" in raw or "\r" in raw or "_x" in raw else raw
