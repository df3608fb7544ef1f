"""Helpers shared by every layer: argument checks (:mod:`.validate`) and file writing
(:mod:`.io`). A leaf: imports nothing else of genoff."""
