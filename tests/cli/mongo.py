"""The CLI suites on the real-wire MongoDB legs."""

from tests.conftest import REAL_MONGO_LEGS, REAL_WIRE_SOCKET_TIMEOUT_MS, prepare_leg


def use_real_mongo(request, leg: str, monkeypatch):
    """Point the CLI at the run's real MongoDB server, on a database of the test's own (dropped
    afterwards) and the leg's driver; returns that database, through a sync client."""
    prepare_leg(request, leg)
    database = request.getfixturevalue("mongo_database")
    monkeypatch.setenv("STORAGE_BACKEND", "mongo")
    monkeypatch.setenv("MONGODB_URL", request.getfixturevalue("mongo_url"))
    monkeypatch.setenv("MONGODB_DATABASE", database)
    monkeypatch.setenv("MONGODB_DRIVER", REAL_MONGO_LEGS[leg])
    monkeypatch.setenv("MONGODB_SOCKET_TIMEOUT_MS", str(REAL_WIRE_SOCKET_TIMEOUT_MS))
    return request.getfixturevalue("mongo_admin")[database]
