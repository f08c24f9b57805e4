"""The command lines: searches (``search``), predictions (``predict``), the baseline
(``baseline``), and what they share (``common``)."""
