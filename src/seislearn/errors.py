"""Exceptions that carry a message meant for the user.

Every error that comes from bad input names the file, the trace and what is
wrong, so the command line can print it as it is.
"""

from __future__ import annotations


class SeislearnError(Exception):
    """Base class of errors reported to the user without a traceback."""


class DataError(SeislearnError):
    """Bad or missing input data.

    Parameters
    ----------
    message : str
        What is wrong.
    path : str, optional
        The file concerned.
    trace : str, optional
        The trace (``trace_name``) concerned.
    check : str, optional
        The name of the ``data check`` this problem belongs to (e.g.
        ``"channel_count"``), so a per-trace error can be reported as that
        check's row instead of as an unreadable trace.
    """

    def __init__(
        self,
        message: str,
        path: object = None,
        trace: str | None = None,
        check: str | None = None,
    ) -> None:
        self.path = None if path is None else str(path)
        self.trace = trace
        self.check = check
        self.reason = message
        where = []
        if self.path:
            where.append(f"file {self.path}")
        if trace:
            where.append(f"trace {trace!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ConfigError(SeislearnError):
    """An invalid configuration (unknown key, wrong type, out-of-range value)."""


class RunExistsError(SeislearnError):
    """A run directory already holds results and ``overwrite`` was not asked for."""


class OfflineError(SeislearnError):
    """A download was needed but the network (or the source) is unreachable."""


class OutputError(SeislearnError):
    """An output could not be written (full disk, read-only folder, a file in the way).

    Parameters
    ----------
    message : str
        What failed, naming the path.
    path : str, optional
        The file or folder concerned.
    """

    def __init__(self, message: str, path: object = None) -> None:
        self.path = None if path is None else str(path)
        super().__init__(message)
