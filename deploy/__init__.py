"""Tools to run babylm for many people: replicas and the nginx routing in front of them."""
