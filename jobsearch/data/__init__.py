"""Postings in: read, clean and split (``load``), the demo set (``demo``), tokens (``tokens``)."""

from .load import DataError, Split, load_split
from .tokens import Dataset, prepare_dataset

__all__ = ["DataError", "Dataset", "Split", "load_split", "prepare_dataset"]
