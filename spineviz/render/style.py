"""How each part looks: colour, opacity and surface finish, chosen by name.

Parts are styled by the dotted components of their stable names (see
:mod:`spineviz.geometry.names`), so a part that appears later (a second
level, a Modic zone, a herniation) gets its colour without any change here.
The palette follows anatomy atlases: ivory bone, blue-grey disc, yellow
nerves, red-brown muscle.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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
HERNIATION = Appearance(_rgb("#B9D3F0"), specular=0.25, specular_power=25.0)
FIBRES = Appearance(_rgb("#F5D000"), specular=0.2, ambient=0.25)
VESSELS = Appearance(_rgb("#C0262B"), specular=0.35, specular_power=30.0)
DEFAULT = Appearance(_rgb("#C8C8C8"))

MODIC_COLOURS: dict[int, RGB] = {
    1: _rgb("#D9663B"),  # oedema and inflammation: warm orange-red
    2: _rgb("#E8B84A"),  # fatty marrow: yellow
    3: _rgb("#8C8C96"),  # sclerosis: grey
}
"""Modic zone colour by type.  A modic part carries its type in the mesh's
``field_data["modic_type"]``; without it the zone is drawn as type 1."""

MODIC = Appearance(MODIC_COLOURS[1], specular=0.2, ambient=0.18)

RULES: tuple[tuple[str, Appearance], ...] = (
    # Most specific first: a name matches the first rule whose key is one of
    # its dotted components (``L4.modic.inferior`` → modic, not bone).
    ("modic", MODIC),
    ("herniation", HERNIATION),
    ("fibres", FIBRES),
    ("vessels", VESSELS),
    ("nucleus", NUCLEUS),
    ("annulus", ANNULUS),
    ("cartilage", CARTILAGE),
    ("endplate", ENDPLATE),
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
    """The appearance of the part called ``name``.

    Parameters
    ----------
    name : str
        A stable part name such as ``"L4.body"`` or ``"L4-L5.annulus"``.
    mesh : pyvista.PolyData, optional
        The part's mesh; only read for per-part data (a Modic zone's type).

    Returns
    -------
    Appearance

    Examples
    --------
    >>> appearance("L5.root.left") == NERVE
    True
    """
    components = set(name.split("."))
    for key, look in RULES:
        if key in components:
            if key == "modic" and mesh is not None:
                return replace(look, color=MODIC_COLOURS.get(_modic_type(mesh), look.color))
            return look
    return GROUP_FALLBACK.get(group_of(name) or "", DEFAULT)


def _modic_type(mesh) -> int:
    try:
        return int(mesh.field_data["modic_type"][0])
    except (KeyError, IndexError, TypeError, ValueError):
        return 1
