"""Memory management: physical pages (ppm), vsegs, the per-process VMM, placement policies."""
