"""seislearn.cli."""
