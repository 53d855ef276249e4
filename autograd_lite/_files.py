"""One atomic file writer for every file the package writes (models, drawings, plots), and
one careful reader of the `.npy` members of the archives it reads back (models, checkpoints)."""

from __future__ import annotations

import math
import os
import secrets
import signal
import threading
import zipfile
import zlib

import numpy as np

try:
    from lzma import LZMAError
except ImportError:  # a Python without lzma: zipfile then refuses such members itself
    LZMAError = OSError

# Signals whose default action ends the process at once, skipping any cleanup.
_FATAL = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class _Terminated(BaseException):
    """A fatal signal arrived while a file was being written (raised so the cleanup runs)."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum, frame):
    raise _Terminated(signum)


def atomic_write(path, write) -> str:
    """Call `write(f)` on a new binary file beside `path`, then rename it onto `path`.

    Readers see the old file or the whole new one, never a part. The folder is
    created if missing; the file's mode follows the umask, as `open` would give.
    If `write` raises, or the process is interrupted (KeyboardInterrupt, or any
    exception a signal handler raises), the temporary file is removed and any
    existing `path` is left as it was, then the exception goes on.

    The default action of SIGTERM (and SIGHUP) would kill the process without
    that cleanup; so while writing on the main thread, each of them still at its
    default gets a handler of our own that turns it into an exception, and after
    the cleanup the signal is delivered again with the default action: the
    process still ends killed by it (exit status -15, or 143 in a shell, for
    SIGTERM). A handler the program set is left alone. Returns `path` as a str.
    """
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
    catch = []
    if threading.current_thread() is threading.main_thread():
        catch = [s for s in _FATAL if signal.getsignal(s) == signal.SIG_DFL]
    for signum in catch:
        signal.signal(signum, _raise_terminated)
    try:
        with open(tmp, "xb") as f:  # "x": never reuse an existing file
            write(f)
        os.replace(tmp, path)
    except BaseException as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(e, _Terminated):  # now die of the signal, as its default action would
            signal.signal(e.signum, signal.SIG_DFL)
            os.kill(os.getpid(), e.signum)
        raise
    finally:
        for signum in catch:
            signal.signal(signum, signal.SIG_DFL)
    return path


# ---- reading .npy members of a zip archive (np.savez) ------------------------------------

# What opening a file that is not a zip archive raises.
OPEN_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile)
# What reading a damaged member raises (bad CRC, corrupt or truncated stream, unknown
# compression method or encryption: NotImplementedError and RuntimeError).
_MEMBER_ERRORS = (OSError, EOFError, RuntimeError, zipfile.BadZipFile, zlib.error, LZMAError)
_HEADER_ROOM = 1 << 16  # bytes allowed for a .npy header (numpy itself refuses past 10,000)


def entry_problem(name, shape, dtype, expected):
    """Why an array of `shape`, `dtype` cannot be parameter `name` of shape `expected` (None:
    any shape), or None."""
    if dtype.kind not in "biuf":  # also refuses object (pickled) and structured arrays
        return f"{name!r} is not numeric (dtype {dtype})"
    if expected is not None and shape != expected:
        return f"{name!r} has shape {shape}, the parameter has {expected}"
    return None


def read_npy_member(zf, info, name, expected, most=None):
    """(array, None) from the `.npy` member `info` of `zf`, or (None, the problem).

    The member's sizes are checked before its data is read: its declared size
    in the zip directory must leave room for no more than an array of shape
    `expected`, and its `.npy` header must declare a numeric dtype and exactly
    that shape, and exactly as many data bytes as the zip entry holds. So
    memory stays within the size of the parameter, whatever the file claims
    (a compressed member too, which could unpack to far more than its size).
    With `expected` None any shape is taken, of at most `most` bytes of data
    (None: as many as the zip entry holds).
    """
    widest = 16  # bytes of the widest numeric item
    if expected is not None:
        most = widest * math.prod(expected)
    room = math.inf if most is None else _HEADER_ROOM + most
    if info.file_size > room:
        what = f"shape {expected}" if expected is not None else f"{most} bytes of data"
        return None, f"{name!r} holds {info.file_size} bytes, too many for {what}"
    fmt = np.lib.format
    try:
        with zf.open(info) as f:
            try:
                version = fmt.read_magic(f)
            except ValueError as e:
                return None, f"{name!r} is not a .npy array ({e})"
            headers = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}
            if version not in headers:
                return None, f"{name!r} has .npy format version {version}, not 1.0 or 2.0"
            try:
                shape, fortran_order, dtype = headers[version](f)
            except ValueError as e:
                return None, f"{name!r} has a damaged .npy header ({e})"
            problem = entry_problem(name, shape, dtype, expected)
            if problem:
                return None, problem
            size, held = math.prod(shape) * dtype.itemsize, info.file_size - f.tell()
            if held != size:
                return None, f"{name!r} declares {size} bytes of data, its zip entry holds {held}"
            data = f.read(size)  # zipfile checks the CRC on reaching the end
    except _MEMBER_ERRORS as e:
        return None, f"{name!r} is damaged ({e})"
    array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")
    return array, None
