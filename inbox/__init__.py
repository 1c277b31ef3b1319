"""What others send us: verification, durable storage, and one handler per activity type."""
