"""seislearn.data."""
