"""seislearn.evaluation."""
