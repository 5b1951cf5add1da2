"""Offers and requests ("Angebote und Gesuche"): what one organisation has, matched to what
another needs — technology, R&D cooperation, manufacturing capacity, by-products, waste heat.

An application over the radar (like Inno Slam and the digest): it keeps its own table
(``store/listings.py``), embeds its texts through the radar's model (``matching.embed``,
the one place that calls the encoder) and uses the radar's analyzer and gazetteer.

- ``types``: the registry of listing types (German labels, offer/request side, flow,
  counterpart types, structured fields, distance limits) — a new type is one entry.
- ``model``: validation of a listing record with German errors; units normalised.
- ``matching``: hard constraints, text similarity, ranking and German explanations.
- ``potential``: a region's matching offer–request pairs, totals, SVG network.
- ``importer``: CSV/JSON Lines import with rejects by line number.
- ``service``: ``Listings(radar)`` — the functions CLI, API, pages and digest share.
"""
