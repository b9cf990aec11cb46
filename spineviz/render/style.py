"""How each part looks: colour, opacity and surface finish, chosen by name.

Parts are styled by the dotted components of their stable names (see
:mod:`spineviz.geometry.names`), so a part that appears later (a second
level, a Modic zone, a herniation) gets its colour without any change here.
The palette follows anatomy atlases: ivory bone, blue-grey disc, yellow
nerves, red-brown muscle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from spineviz.geometry.names import group_of

RGB = tuple[float, float, float]


@dataclass(frozen=True)
class Appearance:
    """Surface appearance of one part.

    Attributes
    ----------
    color : tuple of float
        Base colour, RGB in 0–1.
    opacity : float
        1 is opaque; below 1 the part is drawn translucent (depth peeled).
    specular, specular_power : float
        Strength and tightness of highlights (bone is glossy, soft tissue less).
    ambient, diffuse : float
        Lighting coefficients.
    feature_angle : float
        Normals are split at edges sharper than this (degrees), so cut faces
        stay crisp while curved surfaces shade smoothly.
    """

    color: RGB
    opacity: float = 1.0
    specular: float = 0.15
    specular_power: float = 20.0
    ambient: float = 0.12
    diffuse: float = 0.85
    feature_angle: float = 60.0

    @property
    def translucent(self) -> bool:
        return self.opacity < 1.0


def _rgb(hex_colour: str) -> RGB:
    h = hex_colour.lstrip("#")
    return tuple(int(h[i : i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]


BONE = Appearance(_rgb("#F1E6CA"), specular=0.35, specular_power=28.0, ambient=0.14, diffuse=0.88)
ARCH = replace(BONE, color=_rgb("#F1E1BE"))
ENDPLATE = replace(BONE, color=_rgb("#F7F0DE"), specular=0.4)
ANNULUS = Appearance(_rgb("#9AAFC6"), opacity=0.35, specular=0.3, specular_power=30.0)
NUCLEUS = Appearance(_rgb("#DCEBFA"), specular=0.25, specular_power=25.0, ambient=0.2)
CARTILAGE = Appearance(_rgb("#CFE0EE"), specular=0.3, specular_power=30.0)
NERVE = Appearance(_rgb("#F2CA3A"), specular=0.25, specular_power=20.0)
DURAL_SAC = Appearance(_rgb("#EEEAD8"), opacity=0.3, specular=0.3, specular_power=30.0)
MUSCLE = Appearance(_rgb("#9A4334"), specular=0.1, specular_power=10.0)
FLAVUM = Appearance(_rgb("#E2C86B"), specular=0.15)
PLC = Appearance(_rgb("#E8E2CF"), specular=0.15)
HERNIATION = Appearance(_rgb("#A9CCF5"), specular=0.3, specular_power=25.0, ambient=0.2)
"""Disc material out of place: the nucleus's blue, a little more saturated so it
reads as the same tissue where it does not belong."""
FIBRES = Appearance(_rgb("#F5D000"), specular=0.2, ambient=0.3)
VESSELS = Appearance(_rgb("#C0262B"), specular=0.35, specular_power=30.0, ambient=0.18)
FAT = Appearance(_rgb("#F3DE93"), specular=0.2, specular_power=15.0, ambient=0.18)
"""Fat replacing muscle: pale yellow, as in a dissection."""
COMPRESSED = Appearance(_rgb("#FF5526"), specular=0.3, specular_power=20.0, ambient=0.4)
"""A compressed nerve root: an orange-red glow (strong ambient term) so it is
the first thing the eye meets; the conditions layer marks such a mesh with
``field_data["compressed"]`` (the model's ``highlighted`` parts)."""
MICROFRACTURES = Appearance(_rgb("#3D2E26"), specular=0.05, ambient=0.1, diffuse=0.7)
BACTERIA = Appearance(_rgb("#7D4FB8"), specular=0.4, specular_power=40.0, ambient=0.25)
"""Bacteria in the violet of a Gram stain (Cutibacterium is Gram-positive)."""
IMMUNE = Appearance(_rgb("#FBEFF3"), specular=0.3, ambient=0.3)
DEFAULT = Appearance(_rgb("#C8C8C8"))

MODIC_COLOURS: dict[int, RGB] = {
    1: _rgb("#E2552B"),  # oedema and inflammation: warm red-orange
    2: _rgb("#F2C230"),  # fatty marrow: yellow
    3: _rgb("#9DA3AE"),  # sclerosis: dense, chalky grey
}
"""Modic zone colour by type.  A modic part carries its type in the mesh's
``field_data["modic_type"]`` (``"1"`` … ``"3"``, or a mixed ``"1/2"``, ``"2/3"``,
drawn as the blend of the two); without it the zone is drawn as type 1."""

MODIC = Appearance(MODIC_COLOURS[1], specular=0.2, ambient=0.25)
MODIC_SCLEROSIS = Appearance(MODIC_COLOURS[3], specular=0.05, specular_power=8.0, ambient=0.3, diffuse=0.8)
"""Sclerotic bone is matt and chalky: almost no highlight."""
FISSURE_SHADE = 0.5
"""Endplate fissures are drawn in their zone's colour at this brightness."""
INFLAMED_GLOW = 0.15
"""Extra ambient light of an inflamed (active) type-1 zone."""

SEE_THROUGH = 0.3
"""Opacity of a vertebral body (and its endplates) that holds a Modic zone or
endplate micro-fractures: the finding lies inside the bone, so the bone around it turns glass-like and the
coloured marrow reads at a glance from any side."""
SAC_COMPRESSED_OPACITY = 0.55
"""A narrowed or dented dural sac is drawn more solid so its outline reads."""
OPEN_DISC = {"annulus": 0.18, "nucleus": 0.45}
"""Opacity of a disc that holds ingrown fibres and vessels (or bacteria): they
lie inside the annulus and the nucleus, so both are drawn as thin veils."""

DRY_NUCLEUS = _rgb("#7E8894")
"""A fully dried-out nucleus (hydration 0): the grey-blue of Pfirrmann V."""

RULES: tuple[tuple[str, Appearance], ...] = (
    # Most specific first: a name matches the first rule whose key is one of
    # its dotted components (``L4.modic.fissures`` → modic, not bone;
    # ``multifidus.left.fat`` → fat, not muscle).
    ("microfractures", MICROFRACTURES),
    ("bacteria", BACTERIA),
    ("immune", IMMUNE),
    ("modic", MODIC),
    ("herniation", HERNIATION),
    ("fibres", FIBRES),
    ("vessels", VESSELS),
    ("fat", FAT),
    ("nucleus", NUCLEUS),
    ("annulus", ANNULUS),
    ("cartilage", CARTILAGE),
    ("endplate", ENDPLATE),
    ("osteophytes", BONE),
    ("facet_hypertrophy", ARCH),
    ("body", BONE),
    ("arch", ARCH),
    ("dural_sac", DURAL_SAC),
    ("root", NERVE),
    ("cauda_equina", NERVE),
    ("sinuvertebral", NERVE),
    ("basivertebral", NERVE),
    ("ligamentum_flavum", FLAVUM),
    ("plc", PLC),
    ("multifidus", MUSCLE),
)

GROUP_FALLBACK = {
    "bone": BONE,
    "disc": ANNULUS,
    "nerves": NERVE,
    "vessels": VESSELS,
    "muscle": MUSCLE,
    "ligaments": PLC,
    "findings": MODIC,
}


def appearance(name: str, mesh=None) -> Appearance:
    """The appearance of the part called ``name``, on its own.

    Parameters
    ----------
    name : str
        A stable part name such as ``"L4.body"`` or ``"L4-L5.annulus"``.
    mesh : pyvista.PolyData, optional
        The part's mesh; only read for what the conditions layer stores on it
        (a Modic zone's type, a nucleus's hydration, a compressed root).

    Returns
    -------
    Appearance

    See Also
    --------
    looks : the appearances of a whole set of parts, each in the context of the others.

    Examples
    --------
    >>> appearance("L5.root.left") == NERVE
    True
    """
    components = set(name.split("."))
    for key, look in RULES:
        if key in components:
            return _with_mesh_data(key, look, components, mesh)
    return GROUP_FALLBACK.get(group_of(name) or "", DEFAULT)


def looks(parts: Mapping) -> dict[str, Appearance]:
    """The appearance of every part, in the context of the others.

    Findings must show wherever they are on, so some parts change with their
    neighbours: a vertebral body (and its endplates) that holds a Modic zone
    turns see-through (:data:`SEE_THROUGH`), and the dural sac is drawn more
    solid when a herniation or stenosis is present (:data:`SAC_COMPRESSED_OPACITY`).

    Parameters
    ----------
    parts : Mapping[str, pyvista.PolyData]
        Part meshes keyed by stable name.

    Returns
    -------
    dict
        Name → :class:`Appearance`, in the order of ``parts``.
    """
    out = {name: appearance(name, mesh) for name, mesh in parts.items()}
    hollowed: set[str] = set()  # vertebrae whose body holds a finding
    opened: set[str] = set()  # discs that hold fibres, vessels or bacteria
    for name in parts:
        head, *rest = name.split(".")
        if rest[:1] == ["modic"]:
            hollowed.add(head)
        elif rest == ["theory", "microfractures"]:
            hollowed.update(head.split("-"))
        elif rest in (["fibres"], ["vessels"], ["theory", "bacteria"]):
            opened.add(head)
    narrowing = any(".herniation" in n or ".facet_hypertrophy." in n for n in parts)
    for name, look in out.items():
        head, _, rest = name.partition(".")
        if head in hollowed and (rest == "body" or rest.startswith("endplate.")):
            out[name] = replace(look, opacity=min(look.opacity, SEE_THROUGH))
        elif head in opened and rest in ("annulus", "nucleus"):
            out[name] = replace(look, opacity=min(look.opacity, OPEN_DISC[rest]))
        elif name == "dural_sac" and narrowing:
            out[name] = replace(look, opacity=max(look.opacity, SAC_COMPRESSED_OPACITY))
    return out


def _with_mesh_data(key: str, look: Appearance, components: set[str], mesh) -> Appearance:
    """``look`` adjusted by what the conditions layer stored on the mesh."""
    if mesh is None:
        return look
    data = mesh.field_data
    if key == "modic":
        types = _modic_types(mesh)
        colour = _blend([MODIC_COLOURS[t] for t in types])
        base = MODIC_SCLEROSIS if types == [3] else look
        if "fissures" in components:
            return replace(base, color=_shade(colour, FISSURE_SHADE), ambient=0.1, specular=0.05)
        glow = INFLAMED_GLOW if 1 in types and _flag(data, "inflammation") else 0.0
        return replace(base, color=colour, ambient=min(1.0, base.ambient + glow))
    if key == "nucleus" and "hydration" in data:
        wet = float(np.clip(_number(data, "hydration", 1.0), 0.0, 1.0))
        return replace(look, color=_blend([DRY_NUCLEUS, look.color], [1.0 - wet, wet]))
    if key in ("root", "cauda_equina") and _flag(data, "compressed"):
        return COMPRESSED
    if key == "dural_sac" and _flag(data, "compressed"):
        return replace(look, opacity=max(look.opacity, SAC_COMPRESSED_OPACITY))
    return look


def _number(data, key: str, default: float) -> float:
    try:
        return float(np.asarray(data[key]).ravel()[0])
    except (KeyError, IndexError, TypeError, ValueError):
        return default


def _flag(data, key: str) -> bool:
    return key in data and bool(_number(data, key, 0.0))


def _modic_types(mesh) -> list[int]:
    """The Modic types of a zone: ``[1]``, ``[2]``, ``[3]``, or two for a mixed form."""
    try:
        raw = np.asarray(mesh.field_data["modic_type"]).ravel()[0]
    except (KeyError, IndexError, TypeError):
        return [1]
    types = [int(t) for t in str(raw).split("/") if t.strip().isdigit() and int(t) in MODIC_COLOURS]
    return types or [1]


def _blend(colours, weights=None) -> RGB:
    w = np.ones(len(colours)) if weights is None else np.asarray(weights, float)
    mixed = (np.asarray(colours, float) * w[:, None]).sum(axis=0) / w.sum()
    return tuple(float(c) for c in mixed)  # type: ignore[return-value]


def _shade(colour: RGB, factor: float) -> RGB:
    return tuple(float(c) * factor for c in colour)  # type: ignore[return-value]
