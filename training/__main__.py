"""`python -m training ...`: the same CLI as the `sift` console script."""

from training.cli import main

main()
