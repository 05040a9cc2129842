"""seislearn.report."""
