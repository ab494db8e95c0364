"""The card-sort tables, kept with every other table in :mod:`uxlab.models`."""

from uxlab.models import CardSort, CardSortName

__all__ = ["CardSort", "CardSortName"]
