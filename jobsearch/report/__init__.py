"""What people read and look at: trial lines and the summary (``summary``), figures (``plots``),
a search's leaderboard (``leaderboard``). Nothing here trains, tracks or registers;
``python -m jobsearch.report`` runs :mod:`jobsearch.cli.report`."""
