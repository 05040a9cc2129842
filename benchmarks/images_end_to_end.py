"""End-to-end time of ``images fit`` on 10,000 synthetic patches (goal: <= 15 min, 2 cores).

Same measurement as ``images_ari.py`` (write .mat patches, read, features,
UMAP, KMeans, outputs, figures, saved model), at the size of a real survey cut.

    python benchmarks/images_end_to_end.py                       # SSL extractor
    python benchmarks/images_end_to_end.py --extractor resnet50 --weights random
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from images_ari import main

if __name__ == "__main__":
    args = sys.argv[1:]
    defaults = ["--n", "10000", "--n-new", "0", "--no-baseline", "--name", "images_end_to_end"]
    main(defaults + args)
