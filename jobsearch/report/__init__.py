"""What people read and look at: trial lines and the summary (``summary``), figures (``plots``).
Nothing here trains, tracks or registers."""
