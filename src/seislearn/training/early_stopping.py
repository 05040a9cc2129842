"""Early stopping that stays stopped when a finished run is resumed.

Lightning restores :class:`~lightning.pytorch.callbacks.EarlyStopping`'s counters
from a checkpoint but not its decision: resuming a run that had stopped early
trained one more epoch (and moved the weights) before stopping again. This
subclass keeps Lightning's behaviour and checkpoint format (same class name,
same state key) and stops at once when the restored state says it had stopped.

Imports Lightning at module level: import it only where training happens.
"""

from __future__ import annotations

from typing import Any

from lightning.pytorch.callbacks import EarlyStopping as _LightningEarlyStopping


class EarlyStopping(_LightningEarlyStopping):
    """:class:`lightning.pytorch.callbacks.EarlyStopping` that honours a restored stop."""

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        """Stop before the first epoch when the restored state had already stopped."""
        super().on_train_start(trainer, pl_module)
        if self.stopped_epoch > 0 or self.wait_count >= self.patience:
            trainer.should_stop = True
