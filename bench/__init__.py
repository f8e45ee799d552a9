"""Benchmarks against the seed's recipe; see bench/train_speed.py. Not part of the package."""
