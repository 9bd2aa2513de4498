"""appraisal stage."""
