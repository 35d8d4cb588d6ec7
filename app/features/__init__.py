"""Features built on the engine: basin maps, sweeps, the LR range test, seed bands, export, presets."""
