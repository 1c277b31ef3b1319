"""Text and media: Markdown rendering, HTML sanitising, hashtags, image processing. No database."""
