"""The ``last.ckpt`` checkpoint that ``--resume`` continues from.

Lightning 2.6 changed ``ModelCheckpoint(save_last=True)``: with a monitored
metric, ``last.ckpt`` is now written only when a top-k checkpoint is saved at
the same step, so it holds the best epoch rather than the latest one, and a
resumed run would repeat every epoch after the best. The callback here writes
``last.ckpt`` after every epoch, whatever the metric did, on any Lightning 2.x.
"""

from __future__ import annotations

import os
from typing import Any


def latest_epoch_checkpoint(dirpath: str | os.PathLike, filename: str = "last") -> Any:
    """A ``ModelCheckpoint`` that overwrites ``DIRPATH/FILENAME.ckpt`` after every epoch.

    Parameters
    ----------
    dirpath : path-like
        Folder of the checkpoint (a run's ``checkpoints/`` or a sub-folder of it).
    filename : str
        Name of the file, without ``.ckpt``.

    Returns
    -------
    lightning.pytorch.callbacks.ModelCheckpoint
        Unmonitored, one file kept, no ``-v1`` copies when the file already exists.
    """
    from lightning.pytorch.callbacks import ModelCheckpoint

    return ModelCheckpoint(
        dirpath=dirpath,
        filename=filename,
        monitor=None,
        save_top_k=1,
        every_n_epochs=1,
        enable_version_counter=False,
    )
