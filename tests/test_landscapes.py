"""The 14 surfaces: facts re-derived independently, finite gradients, the mesh."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from landscapes import LANDSCAPES, critical_points, mesh, minima
from landscapes.critical_points import _solve

SPEC_IDS = {"rosenbrock", "peaks", "saddle1", "saddle2", "sigmoid_cliff", "himmelblau", "beale", "booth",
            "rastrigin", "ackley", "styblinski_tang", "goldstein_price", "six_hump_camel", "quadratic"}


def test_all_fourteen_surfaces_of_the_spec():
    assert set(LANDSCAPES) == SPEC_IDS


@pytest.mark.parametrize("landscape_id", sorted(SPEC_IDS))
def test_listed_critical_points_are_critical_with_the_listed_values(landscape_id):
    landscape = LANDSCAPES[landscape_id]
    q = landscape.default_params()
    f = lambda p: landscape.fn(p, q)
    for point in landscape.critical_points:
        p = jnp.array([point.x, point.y])
        assert float(f(p)) == pytest.approx(point.value, abs=1e-4, rel=1e-5)
        assert float(jnp.linalg.norm(jax.grad(f)(p))) < 1e-3 * (1 + abs(point.value))
        eigenvalues = np.linalg.eigvalsh(np.asarray(jax.hessian(f)(p)))
        kind = "minimum" if eigenvalues[0] > 0 else "maximum" if eigenvalues[1] < 0 else "saddle"
        assert kind == point.kind, (point, eigenvalues)


@pytest.mark.parametrize("landscape_id", sorted(SPEC_IDS))
def test_newton_search_from_a_grid_finds_every_listed_point(landscape_id):
    """The spec found its points by Newton from a 41x41 grid; an independent run of that search finds them all."""
    landscape = LANDSCAPES[landscape_id]
    found = _solve(landscape, tuple(float(v) for v in landscape.default_params().values()))
    for point in landscape.critical_points:
        assert any(c.kind == point.kind and np.hypot(c.x - point.x, c.y - point.y) < 1e-5 for c in found), point
    if landscape.minima_complete:  # the curated list has every minimum the search finds
        assert len([c for c in found if c.kind == "minimum"]) == len(landscape.minima())


@pytest.mark.parametrize("landscape_id", sorted(SPEC_IDS))
def test_gradients_are_finite_everywhere_on_the_plot_domain(landscape_id):
    landscape = LANDSCAPES[landscape_id]
    q = landscape.default_params()
    (x0, x1), (y0, y1) = landscape.domain
    xs, ys = np.meshgrid(np.linspace(x0, x1, 101), np.linspace(y0, y1, 101))  # includes the origin where in range
    points = jnp.asarray(np.stack([xs.ravel(), ys.ravel()], 1))
    grads = jax.vmap(jax.grad(lambda p: landscape.fn(p, q)))(points)
    assert np.all(np.isfinite(np.asarray(grads)))
    assert grads.dtype == jnp.float64


def test_ackley_is_exact_at_the_origin_with_a_zero_subgradient():
    ackley = LANDSCAPES["ackley"]
    assert float(ackley.value((0.0, 0.0))) == pytest.approx(0.0, abs=1e-14)
    g = jax.grad(lambda p: ackley.fn(p, {}))(jnp.zeros(2))
    assert np.all(np.asarray(g) == 0.0)


def test_minima_follow_the_parameters():
    rosenbrock = LANDSCAPES["rosenbrock"]
    (m,) = minima(rosenbrock, {"a": -0.5, "b": 50.0})
    assert (m.x, m.y) == pytest.approx((-0.5, 0.25), abs=1e-9)
    bowl = minima(LANDSCAPES["sigmoid_cliff"], {"eps": 0.002, "k": 3.0, "cx": 2.0, "cy": 2.0})
    assert [(p.x, p.y, p.value) for p in bowl] == [pytest.approx((2.462853, 2.462853, 0.002092), abs=2e-6)]
    assert minima(LANDSCAPES["sigmoid_cliff"], {}) == ()
    rotated = minima(LANDSCAPES["quadratic"], {"kappa": 100.0, "theta": 1.0})
    assert [(round(p.x, 9), round(p.y, 9)) for p in rotated] == [(0.0, 0.0)]


def test_rastrigin_nearest_minima_include_the_local_lattice():
    found = minima(LANDSCAPES["rastrigin"])
    assert len(found) == 121 and sum(p.is_global for p in found) == 1


def test_mesh_rows_follow_y_and_values_match_the_function():
    landscape = LANDSCAPES["six_hump_camel"]
    xs, ys, zs = mesh(landscape, {}, n=31)
    assert xs[0] == -3.0 and xs[-1] == 3.0 and ys[0] == -2.0 and ys[-1] == 2.0
    assert zs.shape == (31, 31)
    assert zs[4, 7] == pytest.approx(float(landscape.value((xs[7], ys[4]))))


def test_mesh_takes_parameters_without_recompiling():
    landscape = LANDSCAPES["rosenbrock"]
    _, _, a = mesh(landscape, {"a": 1.0}, n=20)
    _, _, b = mesh(landscape, {"a": -1.0}, n=20)
    assert not np.allclose(a, b)


def test_escape_box_is_twice_the_plot_domain():
    assert LANDSCAPES["saddle1"].escape_box() == ((-7.0, 7.0), (-7.0, 7.0))
    assert LANDSCAPES["rosenbrock"].escape_box() == ((-4.0, 4.0), (-3.0, 5.0))


def test_critical_points_at_new_parameters_are_classified():
    points = critical_points(LANDSCAPES["rastrigin"], {"A": 0.0})  # a plain bowl: one minimum
    assert [(p.kind, round(p.x, 9), round(p.y, 9)) for p in points] == [("minimum", 0.0, 0.0)]


def test_critical_points_are_computed_by_xla_alone_so_every_machine_finds_the_same_bits():
    """No LAPACK call (an XLA custom call) in the Newton search: LAPACK's OpenBLAS kernels are chosen by the CPU,
    and SkylakeX and Haswell kernels put other subnormal residues at the quadratic's minimum, so a run's summary
    (its nearest minimum) differed between machines (tests/test_same_numbers.py failed on one of them)."""
    from landscapes.critical_points import _newton_kernel
    for landscape in (LANDSCAPES["quadratic"], LANDSCAPES["peaks"]):
        values = np.asarray([p.default for p in landscape.params], dtype=np.float64)
        program = _newton_kernel(landscape).lower(values).compile().as_text()
        assert "custom_call_target" not in program
    (minimum,) = minima(LANDSCAPES["quadratic"], {"kappa": 100.0, "theta": 0.5})
    assert abs(minimum.x) < 1e-300 and abs(minimum.y) < 1e-300 and minimum.value == 0.0


@pytest.mark.parametrize("landscape_id", sorted(SPEC_IDS) + ["typed"])
def test_a_pair_of_coordinate_arrays_gives_each_point_s_value_and_gradient(landscape_id):
    """The grid kernel keeps one array per coordinate and calls `fn((x, y), q)`: every surface (and a typed
    expression) must give the numbers it gives point by point with a (2,) array. To rounding only: XLA:CPU lets
    LLVM contract a·b + c into one FMA, and the two layouts compile to different loops."""
    if landscape_id == "typed":
        from landscapes.typed import typed_landscape
        landscape = typed_landscape("sin(x) * exp(-y^2) + 0.1 * (x^2 + y^2)", ((-3.0, 3.0), (-2.0, 2.0)))
    else:
        landscape = LANDSCAPES[landscape_id]
    q = landscape.default_params()
    (x0, x1), (y0, y1) = landscape.domain
    rng = np.random.default_rng(7)
    xs, ys = rng.uniform(x0, x1, 32), rng.uniform(y0, y1, 32)
    by_point = jax.jit(jax.vmap(jax.value_and_grad(lambda p: landscape.fn(p, q))))
    by_pair = jax.jit(jax.vmap(jax.value_and_grad(lambda x, y: landscape.fn((x, y), q), argnums=(0, 1))))
    value, gradient = by_point(jnp.stack([xs, ys], 1))
    pair_value, (gx, gy) = by_pair(jnp.asarray(xs), jnp.asarray(ys))
    for ours, theirs in [(pair_value, value), (np.stack([gx, gy], 1), gradient)]:
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-13 * float(np.max(np.abs(theirs))))


@pytest.mark.parametrize("landscape_id", ["rastrigin", "styblinski_tang"])
def test_separable_surfaces_are_the_sum_over_both_coordinates(landscape_id):
    """Rastrigin and Styblinski–Tang are written per coordinate; they are still the spec's sums Σ over x_i."""
    landscape = LANDSCAPES[landscape_id]
    A = landscape.default_params().get("A", 10.0)
    terms = {"rastrigin": lambda v: v**2 - A * np.cos(2 * np.pi * v),
             "styblinski_tang": lambda v: 0.5 * (v**4 - 16 * v**2 + 5 * v)}[landscape_id]
    constant = 2 * A if landscape_id == "rastrigin" else 0.0
    for p in [(0.0, 0.0), (1.3, -2.1), (-2.903534, -2.903534), (4.5, 0.25)]:
        expected = constant + terms(p[0]) + terms(p[1])
        assert float(landscape.value(p)) == pytest.approx(expected, rel=1e-14, abs=1e-13)
