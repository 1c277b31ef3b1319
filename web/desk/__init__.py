"""The editors' desk: compose and publish, curate, moderate, manage members. Login required."""
