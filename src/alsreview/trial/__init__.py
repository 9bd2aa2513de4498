"""trial stage."""
