"""A worksheet part streamed for the fast path: the inside of <sheetData> as text, in slices that
end where a row ends, and everything around it checked as XML (safe_xml.Frame) on the way.

The part is unpacked a megabyte at a time and never held whole: a slice of about SLICE bytes is
decoded and read while the rest is still packed, so a sheet costs the memory of its cells, not
of its XML text as well. Anything unexpected (no <sheetData>, not UTF-8, a frame that is not a
plain worksheet) is NotPlain: the sheet is read again from the start by the lxml path.
"""
import re

from .safe_xml import Frame, NotPlain

SLICE = 8 << 20              # bytes of <sheetData> decoded and read at a time (cut at a </row>)
_READ = 1 << 20
_OPEN, _CLOSE, _ROW_END = b"<sheetData>", b"</sheetData>", b"</row>"
_ENCODING = re.compile(rb"""^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding=["']([A-Za-z0-9._-]+)""")


def sheet_data(stream, part, count=None):
    """The text inside <sheetData>, slice by slice (each a run of whole rows); the rest of the
    part is fed to a Frame, which has checked it all when the last slice has been taken."""
    frame = Frame(part, count)
    buf, first = bytearray(), True
    while True:                                  # up to and with <sheetData>
        chunk = stream.read(_READ)
        if not chunk:
            raise NotPlain                       # no <sheetData> (or <sheetData/>: an empty sheet)
        if first:
            m = _ENCODING.match(chunk)
            if m and m.group(1).lower() not in (b"utf-8", b"utf8"):
                raise NotPlain
            first = False
        buf += chunk
        k = buf.find(_OPEN)
        if k >= 0:
            break
        frame.feed(bytes(buf[:-len(_OPEN)]))     # keep a tail: <sheetData> may straddle two reads
        del buf[:-len(_OPEN)]
    frame.feed(bytes(buf[:k + len(_OPEN)]))
    del buf[:k + len(_OPEN)]
    searched = 0
    while True:
        end = buf.find(_CLOSE, max(0, searched - len(_CLOSE)))
        if end >= 0:
            if end:
                yield _text(buf[:end])
            frame.feed(bytes(buf[end:]))
            del buf
            for chunk in iter(lambda: stream.read(_READ), b""):
                frame.feed(chunk)
            frame.close()
            return
        searched = len(buf)
        if len(buf) >= SLICE:
            cut = buf.rfind(_ROW_END)
            if cut >= 0:
                cut += len(_ROW_END)
                yield _text(buf[:cut])
                del buf[:cut]
                searched = len(buf)
        chunk = stream.read(_READ)
        if not chunk:
            raise NotPlain                       # no </sheetData>: the lxml path names the error
        buf += chunk


def _text(data):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotPlain from None
