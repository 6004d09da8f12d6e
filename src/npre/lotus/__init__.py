"""LOTUS: the paper's filters on the table, and the index that says known or new."""
