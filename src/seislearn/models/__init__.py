"""seislearn.models."""
