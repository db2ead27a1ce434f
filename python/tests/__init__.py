"""Tests of cnn_slicer: /usr/bin/python3 -m unittest discover -s python/tests -t python (from the repository root)."""
