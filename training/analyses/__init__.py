"""Analyses of the shipped models (gender gap, robustness, classical baselines, where a detector box sits): they write results files and never the manifest."""
