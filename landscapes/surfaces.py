"""The 14 test surfaces of docs/mathematics.md, with their facts (domain, critical points, starts, lessons).

Each `fn(p, q)` takes a point `p` = (x, y) and a mapping `q` of parameters, and reads the point only as `p[0]`
and `p[1]`: a (2,) array, or a pair of arrays of any one shape (the grid kernel's layout, one array per
coordinate). Critical points are those of the spec, found there by Newton's method from a 41x41 grid and
classified by the Hessian; a test re-derives them.

Example:
    >>> from landscapes import LANDSCAPES
    >>> round(float(LANDSCAPES["peaks"].value((0.228279, -1.625535))), 6)
    -6.551133
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from .landscape import CriticalPoint as CP, Landscape, Start
from app.vocabulary.params import Param


def _safe_sqrt(r2):
    """sqrt with a finite gradient (zero) at 0: the value is exact, the subgradient at the cone tip is 0."""
    positive = r2 > 0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, r2, 1.0)), 0.0)


def rosenbrock(p, q):
    x, y = p[0], p[1]
    return (q["a"] - x) ** 2 + q["b"] * (y - x**2) ** 2


def peaks(p, q):
    x, y = p[0], p[1]
    return (
        3 * (1 - x) ** 2 * jnp.exp(-(x**2) - (y + 1) ** 2)
        - 10 * (x / 5 - x**3 - y**5) * jnp.exp(-(x**2) - y**2)
        - jnp.exp(-((x + 1) ** 2) - y**2) / 3
    )


def saddle1(p, q):
    return p[0] ** 2 - p[1] ** 2


def saddle2(p, q):
    return p[0] ** 3 - 3 * p[0] - 2 * p[1] ** 2


def sigmoid_cliff(p, q):
    x, y = p[0], p[1]
    k = q["k"]
    bowl = q["eps"] * ((x - q["cx"]) ** 2 + (y - q["cy"]) ** 2)
    return 1 - jax.nn.sigmoid(k * x) * jax.nn.sigmoid(k * y) + bowl


def himmelblau(p, q):
    x, y = p[0], p[1]
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def beale(p, q):
    x, y = p[0], p[1]
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def booth(p, q):
    x, y = p[0], p[1]
    return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2


def rastrigin(p, q):
    x, y, A = p[0], p[1], q["A"]
    return 2 * A + ((x**2 - A * jnp.cos(2 * jnp.pi * x)) + (y**2 - A * jnp.cos(2 * jnp.pi * y)))


def ackley(p, q):
    x, y = p[0], p[1]
    r = _safe_sqrt(0.5 * (x**2 + y**2))
    return (
        -20 * jnp.exp(-0.2 * r)
        - jnp.exp(0.5 * (jnp.cos(2 * jnp.pi * x) + jnp.cos(2 * jnp.pi * y)))
        + jnp.e
        + 20
    )


def styblinski_tang(p, q):
    x, y = p[0], p[1]
    return 0.5 * ((x**4 - 16 * x**2 + 5 * x) + (y**4 - 16 * y**2 + 5 * y))


def goldstein_price(p, q):
    x, y = p[0], p[1]
    a = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2)
    b = 30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2)
    return a * b


def six_hump_camel(p, q):
    x, y = p[0], p[1]
    return (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2


def quadratic(p, q):
    c, s = jnp.cos(q["theta"]), jnp.sin(q["theta"])
    u = c * p[0] + s * p[1]
    v = -s * p[0] + c * p[1]
    return 0.5 * (u**2 + q["kappa"] * v**2)


def _mins(*points):
    return tuple(CP("minimum", x, y, v, name, g) for x, y, v, name, g in points)


def _pts(kind, *points):
    return tuple(CP(kind, x, y, v, name) for x, y, v, name in points)


ALL = (
    Landscape(
        id="rosenbrock",
        title="Rosenbrock (banana valley)",
        formula="(a − x)² + b(y − x²)²",
        description="A long curved canyon: the steep walls force small steps while the floor needs long ones. "
        "Constant rates bounce across the walls; decaying rates settle; momentum and adaptive methods follow "
        "the floor.",
        fn=rosenbrock,
        domain=((-2.0, 2.0), (-1.0, 3.0)),
        params=(
            Param("a", "position of the minimum (a, a²)", 1.0, min=-1.7, max=1.7),
            Param("b", "steepness of the valley walls", 100.0, min=0, max=1000, min_exclusive=True, scale="log"),
        ),
        critical_points=_mins((1.0, 1.0, 0.0, "global", True)),
        starts=(
            Start(-2.0, 2.0, "jettify's optimizer visualisations"),
            Start(-1.2, 1.0, "the classic start"),
            Start(0.0, 3.0, "the survey-claim configuration (claims R1-R6)"),
        ),
        colour_scale="log",
        notes="Hessian eigenvalues 0.399 and 1002 at the minimum (κ≈2500). Plain GD is stable for η < 2/λ_max: "
        "≈0.002 near the minimum, ≈5e−4 at (−2, 2).",
    ),
    Landscape(
        id="peaks",
        title="MATLAB peaks",
        formula="3(1−x)²e^{−x²−(y+1)²} − 10(x/5 − x³ − y⁵)e^{−x²−y²} − ⅓e^{−(x+1)²−y²}",
        description="Three minima of very different depth: plain SGD falls into whichever basin it starts in "
        "(often the shallow S), momentum carries it over the ridges to the global minimum G.",
        fn=peaks,
        domain=((-3.0, 3.0), (-3.0, 3.0)),
        critical_points=_mins(
            (0.228279, -1.625535, -6.551133, "G", True),
            (-1.347396, 0.204519, -3.049849, "L", False),
            (0.296446, 0.320196, -0.064936, "S", False),
        )
        + _pts(
            "maximum",
            (-0.009318, 1.581368, 8.106214, ""),
            (-0.460025, -0.629197, 3.776581, ""),
            (1.285685, -0.004848, 3.592490, ""),
        )
        + _pts(
            "saddle",
            (0.416323, -0.394145, 0.408548, ""),
            (-0.265938, 0.466740, 0.788293, ""),
            (1.098273, 0.854461, 2.249192, ""),
        ),
        starts=(
            Start(0.0, 1.5, "falls into the shallow minimum S without momentum"),
            Start(0.0, 1.0, "falls into S without momentum"),
            Start(-2.0, 1.0, "basin of the local minimum L"),
            Start(-1.5, 1.5, "basin of L"),
            Start(2.5, -2.0, "the flat corner"),
        ),
        colour_scale="diverging",
        notes="Plot with zero-centred shading: range [−6.55, 8.11].",
    ),
    Landscape(
        id="saddle1",
        title="Saddle x² − y²",
        formula="x² − y²",
        description="A pure saddle: from a start on y = 0 the y-gradient is exactly zero, so any optimizer whose "
        "state starts at zero stays on the saddle line forever; the slightest perturbation grows like "
        "Π(1 + 2η_k).",
        fn=saddle1,
        domain=((-3.5, 3.5), (-3.5, 3.5)),
        critical_points=_pts("saddle", (0.0, 0.0, 0.0, "")),
        starts=(
            Start(-3.0, 0.0, "stays on y = 0"),
            Start(-3.0, 0.1, "perturbed by 0.1"),
            Start(-3.0, 0.01, "perturbed by 0.01"),
            Start(-3.0, 0.001, "perturbed by 0.001"),
        ),
        floor=-50.0,
        colour_scale="diverging",
        notes="Unbounded below: a run stops as escaped when f < −50 or it leaves twice the plot domain.",
    ),
    Landscape(
        id="saddle2",
        title="Cubic saddle x³ − 3x − 2y²",
        formula="x³ − 3x − 2y²",
        description="The survey's saddle: SGD from (2, 0) converges to the saddle (1, 0); off the line the "
        "unstable direction grows like Π(1 + 4η_k).",
        fn=saddle2,
        domain=((-3.0, 3.0), (-3.0, 3.0)),
        critical_points=_pts("saddle", (1.0, 0.0, -2.0, "")) + _pts("maximum", (-1.0, 0.0, 2.0, "")),
        starts=(
            Start(2.0, 0.0, "converges to the saddle (1, 0)"),
            Start(2.0, 0.1, "perturbed by 0.1"),
            Start(2.0, 0.01, "perturbed by 0.01"),
            Start(2.0, 0.001, "perturbed by 0.001"),
        ),
        floor=-50.0,
        colour_scale="diverging",
        notes="Unbounded below. Hessian diag(6, −4) at the saddle.",
    ),
    Landscape(
        id="sigmoid_cliff",
        title="Sigmoid plateau and cliff",
        formula="1 − σ(kx)·σ(ky) + ε((x − cx)² + (y − cy)²)",
        description="A high flat plateau (gradient ≈ 1e−3) ending in a steep cliff: small or decaying learning "
        "rates crawl or stall on the plateau; a constant large rate crosses it fastest.",
        fn=sigmoid_cliff,
        domain=((-4.0, 4.0), (-4.0, 4.0)),
        params=(
            Param("k", "steepness of the cliff", 2.0, min=0, max=20, min_exclusive=True),
            Param("eps", "weight of the bowl that gives a finite minimum (0: pure sigmoid)", 0.0, min=0, max=1),
            Param("cx", "x of the bowl's centre", 2.0, min=-4, max=4),
            Param("cy", "y of the bowl's centre", 2.0, min=-4, max=4),
        ),
        critical_points=(),
        starts=(
            Start(-2.0, -2.0, "on the plateau (gradient ≈ 1e−3)"),
            Start(-2.5, -1.0, "on the plateau"),
        ),
        infimum=0.0,
        notes="Constructed to match the survey's description (its formula is not printed). With eps = 0 the "
        "infimum 0 is approached as x, y → +∞. The bowl variant eps = 0.002, k = 3, c = (2, 2) has its "
        "minimum at (2.462853, 2.462853) → 0.002092.",
    ),
    Landscape(
        id="himmelblau",
        title="Himmelblau",
        formula="(x² + y − 11)² + (x + y² − 7)²",
        description="Four equal global minima: where a run ends depends on its start and its dynamics, which "
        "makes basin maps striking.",
        fn=himmelblau,
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        critical_points=_mins(
            (3.0, 2.0, 0.0, "", True),
            (-2.805118, 3.131313, 0.0, "", True),
            (-3.779310, -3.283186, 0.0, "", True),
            (3.584428, -1.848127, 0.0, "", True),
        )
        + _pts("maximum", (-0.270845, -0.923039, 181.6165, ""))
        + _pts("saddle", (3.385154, 0.073852, 13.3119, "")),
        starts=(Start(0.0, 0.0, "between the four basins"), Start(-1.0, -1.0, "near the maximum")),
        colour_scale="log",
    ),
    Landscape(
        id="beale",
        title="Beale",
        formula="(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
        description="Flat valleys and sharp corners with an ill-conditioned minimum (Hessian eigenvalues 0.30 "
        "and 49): adaptive methods shine, plain SGD needs tiny steps.",
        fn=beale,
        domain=((-4.5, 4.5), (-4.5, 4.5)),
        critical_points=_mins((3.0, 0.5, 0.0, "", True))
        + _pts("saddle", (0.0, 1.0, 14.2031, ""), (0.100538, -2.644514, 9.8645, "")),
        starts=(Start(1.0, 1.5, "on the curved valley"), Start(-1.0, -1.0, "far side")),
        colour_scale="log",
    ),
    Landscape(
        id="booth",
        title="Booth",
        formula="(x + 2y − 7)² + (2x + y − 5)²",
        description="A convex quadratic with condition number 9: the baseline where every method should work "
        "and the differences are pure dynamics.",
        fn=booth,
        domain=((-10.0, 10.0), (-10.0, 10.0)),
        critical_points=_mins((1.0, 3.0, 0.0, "", True)),
        starts=(Start(-5.0, -5.0, "far corner"),),
    ),
    Landscape(
        id="rastrigin",
        title="Rastrigin",
        formula="2A + Σ(x_i² − A cos 2πx_i)",
        description="A bowl covered in a lattice of local minima: gradient methods get caught in the nearest "
        "dimple unless the learning rate or noise is large enough to hop between them.",
        fn=rastrigin,
        domain=((-5.12, 5.12), (-5.12, 5.12)),
        params=(Param("A", "amplitude of the ripples", 10.0, min=0, max=50),),
        critical_points=_mins((0.0, 0.0, 0.0, "global", True)),
        minima_complete=False,
        starts=(Start(-2.0, 3.5, "jettify's optimizer visualisations"),),
        notes="Local minima near every integer lattice point. jettify's figures use [−4.5, 4.5].",
    ),
    Landscape(
        id="ackley",
        title="Ackley",
        formula="−20 exp(−0.2√(½(x² + y²))) − exp(½(cos 2πx + cos 2πy)) + e + 20",
        description="A nearly flat outer region full of small dimples around one deep funnel at the origin.",
        fn=ackley,
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        critical_points=_mins((0.0, 0.0, 0.0, "global", True)),
        minima_complete=False,
        starts=(Start(-3.0, 3.0, "outer dimples"), Start(2.0, -1.5, "outer dimples")),
        colour_scale="sqrt",
        notes="The gradient at the origin is undefined (a cone tip); the code uses a safe square root whose "
        "gradient there is 0, so gradients are finite everywhere.",
    ),
    Landscape(
        id="styblinski_tang",
        title="Styblinski–Tang",
        formula="½ Σ(x_i⁴ − 16x_i² + 5x_i)",
        description="Four minima of different depths at the corners of a square: which one a run reaches "
        "depends on start, momentum and schedule.",
        fn=styblinski_tang,
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        critical_points=_mins(
            (-2.903534, -2.903534, -78.332331, "global", True),
            (-2.903534, 2.746803, -64.195612, "", False),
            (2.746803, -2.903534, -64.195612, "", False),
            (2.746803, 2.746803, -50.058893, "", False),
        )
        + _pts("maximum", (0.156731, 0.156731, 0.3912, "")),
        starts=(Start(0.5, 0.5, "near the central maximum"), Start(4.0, 4.0, "above the shallowest minimum")),
    ),
    Landscape(
        id="goldstein_price",
        title="Goldstein–Price",
        formula="[1 + (x+y+1)²(19 − 14x + 3x² − 14y + 6xy + 3y²)]·[30 + (2x−3y)²(18 − 32x + 12x² + 48y − 36xy "
        "+ 27y²)]",
        description="A dynamic range from 3 to 1e6: gradients vary by orders of magnitude, so clipping or "
        "adaptive methods are needed; plot it on a log scale.",
        fn=goldstein_price,
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        critical_points=_mins(
            (0.0, -1.0, 3.0, "global", True),
            (-0.6, -0.4, 30.0, "", False),
            (1.8, 0.2, 84.0, "", False),
            (1.2, 0.8, 840.0, "", False),
        )
        + _pts("maximum", (0.8, 0.2, 1155.0, "")),
        starts=(Start(-1.5, 1.5, "high ground"), Start(1.5, 1.5, "high ground")),
        colour_scale="log",
        notes="Use a small learning rate (≤ 1e−4) or clipping.",
    ),
    Landscape(
        id="six_hump_camel",
        title="Six-hump camel",
        formula="(4 − 2.1x² + x⁴/3)x² + xy + (−4 + 4y²)y²",
        description="Two global minima, two local ones and a saddle at the origin: a compact map of basins.",
        fn=six_hump_camel,
        domain=((-3.0, 3.0), (-2.0, 2.0)),
        critical_points=_mins(
            (0.089842, -0.712656, -1.031628, "global", True),
            (-0.089842, 0.712656, -1.031628, "global", True),
            (1.703607, -0.796084, -0.215464, "", False),
            (-1.703607, 0.796084, -0.215464, "", False),
            (1.607105, 0.568651, 2.104250, "", False),
            (-1.607105, -0.568651, 2.104250, "", False),
        )
        + _pts("saddle", (0.0, 0.0, 0.0, ""))
        + _pts("maximum", (1.230230, 0.162335, 2.4963, ""), (-1.230230, -0.162335, 2.4963, "")),
        starts=(Start(0.0, 0.0, "on the saddle"), Start(-1.5, 1.0, "between basins")),
        colour_scale="log",
        notes="Visualisations often use [−2, 2]×[−1, 1].",
    ),
    Landscape(
        id="quadratic",
        title="Ill-conditioned quadratic",
        formula="½(u² + κv²), u = cos θ·x + sin θ·y, v = −sin θ·x + cos θ·y",
        description="The textbook case: GD is stable for η < 2/κ, fastest at η* = 2/(1+κ) with rate "
        "(κ−1)/(κ+1); heavy ball with η = 4/(1+√κ)², β = ((√κ−1)/(√κ+1))² is much faster.",
        fn=quadratic,
        domain=((-3.0, 3.0), (-3.0, 3.0)),
        params=(
            Param("kappa", "condition number κ (curvature ratio)", 10.0, min=1, max=1000, scale="log"),
            Param("theta", "rotation of the axes θ", 0.0, min=0, max=math.pi, max_exclusive=True, unit="rad"),
        ),
        critical_points=_mins((0.0, 0.0, 0.0, "global", True)),
        starts=(Start(-2.5, 1.5, "off both axes"),),
    ),
)
