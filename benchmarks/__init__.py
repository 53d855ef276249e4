"""Benchmarks of autograd_lite against micrograd, HIPS autograd, PyTorch and numpy by hand.

Run them with `make bench` (or `python -m benchmarks.run --help`). See benchmarks/README.md.
"""
