"""The deep-learning seismology literature database (Mousavi and Beroza, 2022).

Modules, each usable on its own:

- ``download``: fetch the CSV into the cache with a checksum (``OfflineError`` offline);
- ``load``: read a CSV into a cleaned :class:`~seislearn.papers.load.PaperTable`;
- ``clean`` and ``vocabulary``: parsing, cleaning and validation, every change reported;
- ``schema``: the typed entry model and the CSV column mapping;
- ``query``: search, counts and cross-tables; ``export``: JSON, JSONL and CSV;
- ``figures`` and ``site``: the sunbursts, the heatmap and the offline explorer page;
- ``report``: the validation report; ``contribute``: add entries, diff versions.

Importing this package imports nothing heavy; pandas and plotly load on use.
"""
