"""Reading input files and writing output files as text, with located diagnostics."""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import secrets
import select
import signal
import stat
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from dealcheck import limits
from dealcheck.dsl.diagnostics import DiagnosticsError, error
from dealcheck.dsl.span import Span


def read_text(path: str) -> str:
    """The file's text, UTF-8 (a BOM is dropped, CRLF kept for the parser to handle).

    Raises `DiagnosticsError` (DC900-range codes) when the file is missing,
    too large or not UTF-8.
    """
    where = Span.point(path, 1, 1)
    limit = limits.MAX_FILE_BYTES.value()
    try:
        with open(path, "rb") as handle:
            # The size on disk first; then a bounded read, for files whose size
            # the file system does not know (a pipe, /dev/zero).
            size: int | None = os.fstat(handle.fileno()).st_size
            data = handle.read(limit + 1) if size is not None and size <= limit else b""
            if len(data) > limit:
                size = None
    except OSError as exc:
        raise DiagnosticsError([error("DC901", f"cannot read `{path}`: {_reason(exc)}", where,
                                      "check the path")]) from None
    if size is None or size > limit:
        raise too_large(path, size, limit)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DiagnosticsError([error(
            "DC903", f"`{path}` is not UTF-8 text: byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}", Span(path, exc.start, exc.start + 1, line, column, line, column + 1),
            "save the file as UTF-8")]) from None
    return text[1:] if text.startswith("\ufeff") else text


def too_large(path: str, size: int | None, limit: int) -> DiagnosticsError:
    """The DC902 error for a file over `limits.MAX_FILE_BYTES`; `size` None when unknown (a pipe).

    The file's text is not part of the error: rendering it must not read the file.
    """
    message = (f"`{path}` is {size} bytes, over the limit of {limit}" if size is not None
               else f"`{path}` is over the limit of {limit} bytes")
    return DiagnosticsError(
        [error("DC902", message,
               Span.point(path, 1, 1), limits.over_limit_help(limits.MAX_FILE_BYTES))],
        {path: ""})


def _reason(exc: OSError) -> str:
    """The operating system's words for an error, starting lowercase."""
    reason = str(exc.strerror or exc)
    return reason[:1].lower() + reason[1:]


# ---------------------------------------------------------------- writing

#: The bytes of a pipe's buffer, and of each block read from it (Linux's largest by default).
_PIPE_BYTES = 1 << 20
#: How many bytes `PipedText.copy_to` writes before it asks for them to go to disk.
_WRITE_BACK_BYTES = 32 << 20


def _write_back(fd: int, offset: int, length: int) -> None:
    """Ask the system to start writing `length` bytes of `fd` from `offset` to disk, without
    waiting for them (where it can: Linux starts so when told they are no longer needed)."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is not None:
        with contextlib.suppress(OSError):
            advise(fd, offset, length, os.POSIX_FADV_DONTNEED)


@dataclass(frozen=True, slots=True)
class PipedText:
    """UTF-8 text that `produce` writes to the file it is given, less its last `trim` bytes,
    written only when a writer asks for it (`copy_to`, `texts`).

    Rows an engine renders in bulk (`dealcheck.checker.results.RenderedRows`)
    go so from the engine to the report: `produce` writes them to a named
    pipe in `directory`, in a thread of its own, while the writer takes each
    block from the pipe. They are written once, where they belong, and never
    held whole on disk or in memory. Elsewhere than on Linux, they go through
    a file of `directory` instead.
    """

    produce: Callable[[str], object]
    directory: str
    trim: int = 0

    def texts(self) -> Iterator[str]:
        """The text, a block at a time."""
        decoder = codecs.getincrementaldecoder("utf-8")()
        for block in self._blocks():
            yield decoder.decode(block)
        yield decoder.decode(b"", final=True)

    def copy_to(self, fd: int) -> None:
        """Write the bytes to `fd` (a regular file), at its offset, as they come.

        Every `_WRITE_BACK_BYTES` written, the system is asked to start writing
        them to disk (and may then drop them from its cache): a report's final
        ``fsync`` is left little to wait for.
        """
        start = written = os.lseek(fd, 0, os.SEEK_CUR)
        for block in self._blocks():
            while block:
                done = os.write(fd, block)
                block, written = block[done:], written + done
            if written - start >= _WRITE_BACK_BYTES:
                _write_back(fd, start, written - start)
                start = written

    def _blocks(self) -> Iterator[memoryview]:
        """The bytes in blocks, less the last `trim`; each block is valid until the next."""
        trim = self.trim
        held = b""  # the last `trim` bytes so far, not yet given
        for block in self._produced():
            if not trim:
                yield block
                continue
            if len(block) < trim:
                whole = held + bytes(block)
                held, block = whole[len(whole) - trim:], memoryview(whole[:len(whole) - trim])
            else:
                if held:
                    yield memoryview(held)
                held, block = bytes(block[len(block) - trim:]), block[:len(block) - trim]
            if block:
                yield block
        if len(held) < trim:
            raise OSError(f"the text ends before its last {trim} bytes")

    def _produced(self, block_bytes: int = _PIPE_BYTES) -> Iterator[memoryview]:
        """What `produce` writes, through a named pipe (or a file, where there are none)."""
        path = os.path.join(self.directory, f"piped-{secrets.token_hex(8)}")
        # Linux's pipes tell a reader that no writer came yet from one that left (`poll`).
        if sys.platform != "linux":  # pragma: no cover - CI runs on Linux
            self.produce(path)
            try:
                with open(path, "rb") as data:
                    while block := data.read(block_bytes):
                        yield memoryview(block)
            finally:
                os.unlink(path)
            return
        os.mkfifo(path, 0o600)
        failed: list[BaseException] = []

        def run() -> None:
            try:
                self.produce(path)
            except BaseException as exc:
                failed.append(exc)

        # Opened before the producer starts, without waiting for a writer: the producer's
        # own opening then finds a reader, and a producer that fails before it opens the
        # pipe cannot leave the reader waiting.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        producer = threading.Thread(target=run, name="dealcheck-piped-text", daemon=True)
        try:
            with contextlib.suppress(OSError, ImportError, AttributeError):
                import fcntl  # a larger pipe: fewer switches (Linux)

                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, block_bytes)
            producer.start()
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            # Until the producer opens the pipe, a read finds no writer: it would end at once.
            while not poller.poll(100) and producer.is_alive():
                pass
            if poller.poll(0):
                os.set_blocking(fd, True)
                buffer = memoryview(bytearray(block_bytes))
                while read := os.readv(fd, [buffer]):
                    yield buffer[:read]
        finally:
            # Closed first: a producer still writing (the writer failed) gets an error. One
            # yet to open the pipe (the reader was interrupted) waits for a reader: one
            # comes and goes until it ends, as its writes then fail.
            os.close(fd)
            while producer.is_alive():
                producer.join(0.05)
                if producer.is_alive():
                    with contextlib.suppress(OSError):
                        os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
            os.unlink(path)
        if failed:
            raise failed[0]


def texts(chunks: Iterable[str | PipedText]) -> Iterator[str]:
    """The text of chunks of which some may be `PipedText`s."""
    for chunk in chunks:
        if isinstance(chunk, str):
            yield chunk
        else:
            yield from chunk.texts()


def write_chunk(handle: IO[str], chunk: str | PipedText) -> None:
    """Write text, or a `PipedText`: its bytes copied when `handle` is a regular file that
    writes its text as UTF-8 as it is, else its text."""
    if isinstance(chunk, str):
        handle.write(chunk)
    elif _takes_bytes(handle):
        handle.flush()
        fd = handle.fileno()
        chunk.copy_to(fd)
        # The text layer's idea of where it writes, brought up to date (not the end: a
        # file opened to read and write may hold more).
        handle.seek(os.lseek(fd, 0, os.SEEK_CUR))
    else:
        for text in chunk.texts():
            handle.write(text)


def _takes_bytes(handle: IO[str]) -> bool:
    """Whether UTF-8 bytes written under `handle` are its text (a regular file, UTF-8, no
    line ends translated: `os.linesep` is a line feed)."""
    encoding = getattr(handle, "encoding", None)
    if os.linesep != "\n" or not isinstance(encoding, str):
        return False
    try:
        regular = handle.seekable() and stat.S_ISREG(os.fstat(handle.fileno()).st_mode)
    except (OSError, ValueError):  # no descriptor (a test's capture), or a closed one
        return False
    return regular and codecs.lookup(encoding).name == "utf-8"


#: The code of every file dealcheck cannot write (a report, a formatted terms file).
CANNOT_WRITE = "DC904"

_WRITE_HELP = {
    errno.ENOENT: "create the directory first, or write elsewhere",
    errno.ENOTDIR: "check the path: one of its parts is not a directory",
    errno.ENAMETOOLONG: "use a shorter file name",
    errno.ENOSPC: "free some space on the disk, or write elsewhere",
    errno.EDQUOT: "free some space within the disk quota, or write elsewhere",
    errno.EFBIG: "write elsewhere: the file is too large for its file system",
    errno.EACCES: "check the permissions of the file and its directory",
    errno.EPERM: "check the permissions of the file and its directory",
    errno.EROFS: "write to a file system that is not read-only",
    errno.EISDIR: "name a file, not a directory",
    errno.EPIPE: "keep the reader of the pipe open until dealcheck is done",
}


def cannot_write(path: str, exc: OSError) -> DiagnosticsError:
    """The DC904 error for a file that could not be written, with the system's reason.

    The error is located at the start of `path`, whose text it does not
    include: rendering it must not read the file.
    """
    help = _WRITE_HELP.get(exc.errno or 0, "check the path")
    directory = os.path.dirname(path)
    if exc.errno == errno.ENOENT and directory:
        help = f"create the directory `{directory}` first, or write elsewhere"
    return _write_error(path, _reason(exc), help)


def _write_error(path: str, reason: str, help: str) -> DiagnosticsError:
    return DiagnosticsError(
        [error(CANNOT_WRITE, f"cannot write `{path}`: {reason}", Span.point(path, 1, 1), help)],
        {path: ""})


def refuse_overwriting(output: str, inputs: Iterable[str]) -> None:
    """Refuse to write `output` when it is one of `inputs`, under any name.

    The files are compared by device and inode, so a relative or absolute
    spelling, a symlink or a hard link of an input are all recognised. A
    character device (a terminal, ``/dev/null``) may be both read and written.

    Raises:
        DiagnosticsError: DC904, naming the input.
    """
    try:
        target = os.stat(output)
    except OSError:
        return  # a new file; or one that writing will report
    if stat.S_ISCHR(target.st_mode):
        return
    for path in inputs:
        try:
            found = os.stat(path)
        except OSError:
            continue  # reading it will report it
        if (found.st_dev, found.st_ino) == (target.st_dev, target.st_ino):
            raise _write_error(output, f"it is the same file as the input `{path}`",
                               "write to a file that is not an input")


class OutputFile:
    """A file being written by `atomic_writer`; `write` raises DC904 when the system refuses.

    `direct` is True for a named pipe or a device: what is written reaches
    its reader at once, so a caller holds back what it may yet withdraw. Such
    a file is opened by the first `write` (or at the end, for no text at all),
    so that a run that fails before it writes never opens it.
    """

    __slots__ = ("_handle", "_open", "direct", "path")

    def __init__(self, path: str, open_handle: Callable[[], IO[str]], direct: bool) -> None:
        self.path = path
        self.direct = direct
        self._open = open_handle
        self._handle: IO[str] | None = None

    def write(self, text: str | PipedText) -> None:
        try:
            if self._handle is None:
                self._handle = self._open()
            write_chunk(self._handle, text)
        except OSError as exc:
            raise cannot_write(self.path, exc) from None

    def _finish(self) -> IO[str]:
        """Open the file if nothing was written, and flush it."""
        self.write("")
        assert self._handle is not None  # INVARIANT: `write` opened it
        try:
            self._handle.flush()
        except OSError as exc:
            raise cannot_write(self.path, exc) from None
        return self._handle

    def _close(self) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError):
                self._handle.close()


def atomic_writer(path: str | os.PathLike[str], *,
                  encoding: str = "utf-8") -> contextlib.AbstractContextManager[OutputFile]:
    """Open an output file that receives its new text only if the block completes.

    A regular file (or a new one) is written to a short-named temporary file
    in the same directory, which is flushed, fsynced and renamed over it; an
    existing file keeps its permission bits (and, where allowed, its owner).
    A symlink is followed: its target is written, the link stays. A file
    with other hard links is rewritten in place once the whole text is in the
    temporary file, so that every name sees the new text; only a crash or a
    full disk during that last copy can leave it part written. A named pipe or
    a character device (``/dev/null``, a terminal) is written directly, and
    never replaced.

    On any exception, `KeyboardInterrupt` included, the temporary file is
    removed and the previous file is left exactly as it was. Newlines are
    written as given (no platform translation).

    Args:
        path: the file to create or replace.
        encoding: the text encoding.

    Returns:
        A context manager giving the `OutputFile` to write to.

    Raises:
        DiagnosticsError: DC904, with the path and the system's reason, when
            the file cannot be written (a missing directory, a full disk …).
    """
    shown = os.fspath(path)
    try:
        existing: os.stat_result | None = os.stat(shown)
    except FileNotFoundError:
        existing = None  # a new file, or a symlink to one
    except OSError as exc:
        raise cannot_write(shown, exc) from None
    if existing is None or stat.S_ISREG(existing.st_mode):
        return _replacing(shown, existing, encoding)
    if stat.S_ISCHR(existing.st_mode) or stat.S_ISFIFO(existing.st_mode):
        return _streaming(shown, encoding)
    raise _write_error(shown, "not a regular file, a named pipe or a character device",
                       "name a file")


@contextlib.contextmanager
def _streaming(path: str, encoding: str) -> Iterator[OutputFile]:
    # INVARIANT: a device or a pipe is opened as it is, never created or renamed over.
    out = OutputFile(path, lambda: open(path, "w", encoding=encoding, newline=""),  # noqa: SIM115
                     direct=True)
    try:
        yield out
        out._finish()
    finally:
        out._close()


@contextlib.contextmanager
def _replacing(shown: str, existing: os.stat_result | None,
               encoding: str) -> Iterator[OutputFile]:
    target = os.path.realpath(shown)  # a symlink's target is written; the link stays
    directory = os.path.dirname(target)
    temp: str | None = None
    out: OutputFile | None = None
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        while temp is None:
            # INVARIANT: `temp` is named before the file is made, so that the cleanup
            # below sees it whenever an interrupt lands. Its name is short whatever
            # the target's: a target named at the longest length allowed still works.
            temp = os.path.join(directory, f".dealcheck-{secrets.token_hex(6)}.tmp")
            try:
                fd = os.open(temp, flags, 0o666)  # the umask decides its mode
            except FileExistsError:  # pragma: no cover - 48 random bits collided
                temp = None
            except OSError as exc:
                temp = None
                raise cannot_write(shown, exc) from None
        handle = open(fd, "w", encoding=encoding, newline="")  # noqa: SIM115
        out = OutputFile(shown, lambda: handle, direct=False)
        yield out
        written = out._finish()
        try:
            os.fsync(written.fileno())
            written.close()
            if existing is not None:
                _keep_owner_and_mode(temp, existing)
            if existing is not None and existing.st_nlink > 1:
                _copy_in_place(temp, target)
                os.unlink(temp)
            else:
                os.replace(temp, target)
            temp = None
        except OSError as exc:
            raise cannot_write(shown, exc) from None
    finally:
        if out is not None:
            out._close()
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
    _fsync_directory(directory)


def _keep_owner_and_mode(temp: str, existing: os.stat_result) -> None:
    os.chmod(temp, stat.S_IMODE(existing.st_mode))
    if hasattr(os, "chown") and (existing.st_uid, existing.st_gid) != _owner(temp):
        # A courtesy (run as root on another user's file); not every user may give files away.
        with contextlib.suppress(OSError):
            os.chown(temp, existing.st_uid, existing.st_gid)


def _owner(path: str) -> tuple[int, int]:
    found = os.stat(path)
    return found.st_uid, found.st_gid


def _copy_in_place(source: str, target: str) -> None:
    """Copy `source` over the bytes of `target`, keeping its inode (and so its other names).

    The old bytes are overwritten before the file is cut to length, so a new
    text no longer than the old one needs no more room on the disk.
    """
    with _interrupts_deferred(), open(source, "rb") as new, open(target, "r+b") as old:
        while block := new.read(1 << 20):
            old.write(block)
        old.truncate()
        old.flush()
        os.fsync(old.fileno())


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back until the block ends, then deliver them.

    The handlers are swapped for ones that only take note: a signal mask
    would not do, as Python runs its handlers in the main thread whichever
    thread the signal reached (and `--jobs` has threads). Only the main
    thread can set handlers; elsewhere the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def note(signum: int, frame: object) -> None:
        caught.append(signum)

    previous = {number: signal.signal(number, note)
                for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)
        for signum in dict.fromkeys(caught):
            signal.raise_signal(signum)


def _fsync_directory(directory: str) -> None:
    # Makes the rename itself durable; not every platform can open a directory.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: str | os.PathLike[str], content: str | Iterable[str], *,
                 encoding: str = "utf-8") -> None:
    """Write text, or text chunks consumed as they come, to `path` with `atomic_writer`.

    If the chunks raise (or the user interrupts), `path` keeps its previous
    content and no temporary file remains.

    Args:
        path: the file to create or replace.
        content: the whole text, or an iterable of chunks.
        encoding: the text encoding.

    Raises:
        DiagnosticsError: DC904 when the file cannot be written.
    """
    with atomic_writer(path, encoding=encoding) as out:
        for chunk in (content,) if isinstance(content, str) else content:
            out.write(chunk)
