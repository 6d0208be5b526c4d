"""The production store: MongoDB through PyMongo's async API, or Motor.

ObjectId and bson stay inside this package; the core sees 24-hex strings.
"""
