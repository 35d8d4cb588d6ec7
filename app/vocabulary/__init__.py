"""The shared vocabulary of every layer: typed parameters (`params`), limits (`limits`), compile-once kernel
caches (`compile_once`) and the typed-expression grammar (`expression`). It imports nothing from the project."""
