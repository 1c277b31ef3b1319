"""One module per activity type; each exposes `handle_<type>(ctx, activity)`."""
