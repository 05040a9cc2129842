"""seislearn.features."""
