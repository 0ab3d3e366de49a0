"""Hosted datacentres: figures their operators send (import-meter), and PUE from them."""
