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
    """

    def __init__(self, message: str, path: object = None, trace: str | None = None) -> None:
        self.path = None if path is None else str(path)
        self.trace = trace
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
