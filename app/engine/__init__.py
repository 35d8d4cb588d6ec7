"""The engine: trajectories of a resolved plan, computed by compiled kernels. Arrays in, arrays out: no HTTP,
no pydantic."""
