"""Leftbook: an anonymous imageboard published as a Tor v3 onion service."""
