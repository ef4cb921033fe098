"""The zip package, opened safely: only regular files, within the size limits.

The file is stat()ed before it is opened (a FIFO, a device such as /dev/zero, a directory is
refused by name) and opened without blocking; what was opened is checked again (fstat), so a
file swapped after the first look is refused too. Every part is unpacked through a stream that
never gives more than the part's declared size, from one budget of uncompressed bytes shared by
all the parts read (a zip bomb is refused before it is inflated).
"""
import os
import stat
import struct
import zipfile
import zlib

from . import limits
from .limits import ReadError, limit_text, size_text


def _kind(mode):
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def open_regular(path):
    """The file at path opened for reading, refused unless it is a regular file (symlinks are
    followed: one to /dev/zero is a device). Returns (file object, size)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ReadError("no such file") from None
    except OSError as e:
        raise ReadError(f"cannot be read ({e.strerror or e})") from None
    if not stat.S_ISREG(st.st_mode):
        raise ReadError(f"is {_kind(st.st_mode)}, not a workbook file")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as e:
        raise ReadError(f"cannot be read ({e.strerror or e})") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):                # swapped for something else since the stat()
        os.close(fd)
        raise ReadError(f"is {_kind(st.st_mode)}, not a workbook file")
    return os.fdopen(fd, "rb"), st.st_size


def _declared_members(fh, size):
    """The member count the zip's end record declares, read before zipfile builds an object
    per member (millions of tiny members would exhaust memory first); None if not found."""
    tail_at = max(0, size - (22 + 65535))
    fh.seek(tail_at)
    tail = fh.read(size - tail_at)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    count = struct.unpack_from("<H", tail, at + 10)[0]
    if count != 0xFFFF or at < 20 or tail[at - 20:at - 16] != b"PK\x06\x07":
        return count
    record_at = struct.unpack_from("<Q", tail, at - 20 + 8)[0]   # zip64: its own end record
    if record_at > size:
        return None
    fh.seek(record_at)
    record = fh.read(56)
    if len(record) < 40 or record[:4] != b"PK\x06\x06":
        return None
    return struct.unpack_from("<Q", record, 32)[0]


class CappedStream:
    """A part's bytes as a file for the parser, never more than `cap` bytes (zip-bomb guard)."""

    def __init__(self, raw, name, cap):
        self.raw, self.name, self.left = raw, name, cap

    def read(self, n=-1):
        n = 1 << 20 if n is None or n < 0 else min(n, 1 << 20)
        try:
            data = self.raw.read(n)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as e:
            raise ReadError(f"{self.name} is damaged ({e})") from None
        self.left -= len(data)
        if self.left < 0:
            raise ReadError(f"{self.name} unpacks to more than its declared size, over the "
                            f"{limit_text(limits.MAX_UNPACKED_BYTES)} limit")
        return data


def read_all(stream):
    out = bytearray()               # one growing buffer, not a list of chunks joined into a copy
    while True:
        chunk = stream.read(1 << 20)
        if not chunk:
            return out
        out += chunk


class Package:
    """The zip, with a budget of uncompressed bytes shared by every part read."""

    def __init__(self, path):
        fh, size = open_regular(path)
        try:
            self._open(fh, size)
        except BaseException:
            fh.close()
            raise

    def _open(self, fh, size):
        self.fh = fh
        head = fh.read(8)
        if size > limits.MAX_FILE_BYTES:
            raise ReadError(f"is {size_text(size)}, over the {limit_text(limits.MAX_FILE_BYTES)} limit")
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise ReadError("is an old .xls or a password-protected workbook (OLE2), "
                            "not an .xlsx/.xlsm: save it as .xlsx without a password")
        members = _declared_members(fh, size)
        if members is not None and members > limits.MAX_ZIP_ENTRIES:
            raise ReadError(f"has {members:,} zip members, over the {limits.MAX_ZIP_ENTRIES:,} limit")
        try:
            fh.seek(0)
            self.zip = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
            if head.startswith(b"PK\x03\x04"):
                raise ReadError("is a truncated or damaged zip file (no central directory)") from None
            raise ReadError("not an .xlsx/.xlsm (zip) file") from None
        infos = self.zip.infolist()
        if len(infos) > limits.MAX_ZIP_ENTRIES:
            raise ReadError(f"has {len(infos):,} zip members, over the {limits.MAX_ZIP_ENTRIES:,} limit")
        # Part names are case-insensitive in OPC; a leading "/" is optional in targets.
        self.parts = {i.filename.lstrip("/").lower(): i for i in infos}
        self.left = limits.MAX_UNPACKED_BYTES

    def info(self, name):
        return self.parts.get(name.lstrip("/").lower())

    def size(self, name):
        info = self.info(name)
        return info.file_size if info else 0

    def check_sizes(self, names):
        """Refuse before extracting anything when the declared sizes are over the budget."""
        left = self.left
        for name in names:
            info = self.info(name)
            if info is None:
                raise ReadError(f"has no {name}")
            if info.file_size > limits.MAX_UNPACKED_BYTES:
                raise ReadError(f"{name} would unpack to {size_text(info.file_size)}, "
                                f"over the {limit_text(limits.MAX_UNPACKED_BYTES)} limit")
            if info.file_size > left:
                used = limits.MAX_UNPACKED_BYTES - left + info.file_size
                raise ReadError(f"its parts would unpack to {size_text(used)} in all (at {name}), "
                                f"over the {limit_text(limits.MAX_UNPACKED_BYTES)} limit")
            left -= info.file_size

    def open(self, name, again=False):
        """A stream of the part's bytes; again: a part opened before, already in the budget."""
        if not again:
            self.check_sizes([name])
        info = self.info(name)
        if info.flag_bits & 0x1:
            raise ReadError(f"{name} is encrypted")
        try:
            raw = self.zip.open(info)
        except (zipfile.BadZipFile, NotImplementedError, zlib.error, EOFError, OSError) as e:
            raise ReadError(f"{name} cannot be unpacked ({e})") from None
        if not again:
            self.left -= info.file_size
        return CappedStream(raw, name, info.file_size)

    def read(self, name, again=False):
        """The whole part (a bytearray), within the budget."""
        return read_all(self.open(name, again))

    def close(self):
        zf = getattr(self, "zip", None)
        if zf is not None:
            zf.close()
        self.fh.close()
