"""What we publish and how it reaches others: activities, fan-out and durable delivery."""
