"""Live events for Django models over WebSockets, filtered by role and ownership."""
