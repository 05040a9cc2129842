"""seislearn.training."""
