"""sift as a stage of a live log pipeline: OTLP/HTTP in and out."""
