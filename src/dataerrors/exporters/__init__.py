"""Exports of samples and scores to files that other tools read."""
