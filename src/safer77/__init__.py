"""safer77: open public-safety statistics for Chicago's 77 community areas."""

__version__ = "0.1.0"
