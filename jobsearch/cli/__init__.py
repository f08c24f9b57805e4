"""The command lines: searches (``search``), predictions (``predict``), the baseline
(``baseline``), a search's leaderboard (``report``), and what they share (``common``)."""
