"""Protocol kit: HTTP Signatures, ActivityStreams documents, WebFinger, NodeInfo, safe fetching.

Knows HTTP and ActivityStreams, never our database or product.
"""
