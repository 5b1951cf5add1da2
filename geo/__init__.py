"""Offline geography for Saxony, used by ingest (geocoding) and the matcher (distances, districts).

``distance``: haversine; ``names``: folding place and district names; ``tables``: the
places, postcodes and GeoNames anchors, loaded once; ``gazetteer``: the questions asked of them.
"""
from geo.distance import haversine_km, haversine_km_many
from geo.gazetteer import Gazetteer, Place, is_saxon_postcode
from geo.names import normalise_district
from geo.tables import CITIES, DISTRICTS

__all__ = ["CITIES", "DISTRICTS", "Gazetteer", "Place", "haversine_km", "haversine_km_many",
           "is_saxon_postcode", "normalise_district"]
