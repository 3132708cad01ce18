"""Task categorisation: a sentence embedding plus a small head, with top-k suggestions."""
