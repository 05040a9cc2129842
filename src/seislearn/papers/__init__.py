"""seislearn.papers."""
