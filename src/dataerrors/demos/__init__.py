"""Demos on real data that run with no set-up beyond ``pip install dataerrors[demo]``."""
