"""Training, evaluation and export of the emotion models (needs requirements-train.txt)."""
