"""Local and remote actors, their keys, and who follows whom."""
