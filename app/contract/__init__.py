"""The outside contract: scene and request models (validation, normalisation, 422s), answers, permalinks,
the catalog."""
