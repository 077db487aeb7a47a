"""Publishing a local web server as a Tor v3 onion service (no Flask here)."""
