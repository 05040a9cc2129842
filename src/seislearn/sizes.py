"""The size switch: tiny sizes for every command, for trying a tour and for the doc tests.

When the environment variable ``SEISLEARN_SMALL`` is set (to anything but ``0``):

* every config loaded by :func:`seislearn.config.load_config` starts from its class's
  ``SMALL_OVERRIDES`` (a few epochs, fewer restarts), before the user's ``--set``;
* generated data sets and explained subsets are capped by :func:`small_count`
  (``data synth events`` at 300 events, ``data synth images`` at 200 patches,
  ``explain --n`` at 20 events);
* the ``seislearn`` command says so on stderr.

The figures such runs give mean nothing: the switch is for checking that commands run
(``tests/docs`` runs every command of the README and the docs with it), never for results.
Standard library only: read at ``seislearn --help`` time.
"""

from __future__ import annotations

import os

SMALL_ENV = "SEISLEARN_SMALL"


def small_sizes() -> bool:
    """Whether the size switch (``SEISLEARN_SMALL``) is on."""
    return os.environ.get(SMALL_ENV, "") not in ("", "0")


def small_count(n: int, cap: int) -> int:
    """``n``, or at most ``cap`` when the size switch is on.

    Parameters
    ----------
    n : int
        The size asked for (events, patches, traces).
    cap : int
        The largest size used with the switch on.
    """
    return min(n, cap) if small_sizes() else n
