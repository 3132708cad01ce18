"""`python -m training --help`: data generators, training, evaluation and serving."""

from training.cli import app

app()
