"""sift: classification service for operations and task-mining teams."""

__version__ = "0.1.0"
