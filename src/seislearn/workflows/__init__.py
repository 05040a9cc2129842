"""seislearn.workflows."""
