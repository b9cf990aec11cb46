"""Tissues for the synthetic MRI: proton density, T1 and T2 of water and fat.

Every tissue is a sum of *components*, each a pool of protons with its own
proton density (PD, relative to pure water = 1), T1 and T2 (ms) and a flag
saying whether it is fat.  Most tissues are one water pool; bone marrow is
water plus fat, and the Modic types change that balance (type 1 more water
with longer relaxation — oedema; type 2 more fat; type 3 little of either —
sclerosis).  Muscle carries its small published fat fraction, so fatty
multifidus brightens on T1 as it does in patients.

T1 values are stored at 1.5 T.  Values measured at 3 T were divided by 1.21:
de Bazelaire et al. (Radiology 2004;230:652) found T1 on average 21 % longer
at 3 T than at 1.5 T.  :func:`at_field` applies the same factor the other way.
T2 is taken as independent of field strength (a simplification; the same
paper found only small T2 changes).

Every number carries its source in :data:`SOURCES` (``V`` = published value
read in design-reference §4, ``D`` = derived from published values,
``C`` = chosen, with the reason); docs/mri.md prints the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

T1_3T_FACTOR = 1.21
"""T1 at 3 T over T1 at 1.5 T (de Bazelaire 2004, mean over tissues)."""

FIELDS_T = (1.5, 3.0)
"""Field strengths (tesla) the model knows."""


@dataclass(frozen=True)
class Component:
    """One pool of protons in a tissue.

    Attributes
    ----------
    pd : float
        Proton density relative to pure water (a share of the voxel).
    t1 : float
        Longitudinal relaxation time at 1.5 T, ms.
    t2 : float
        Transverse relaxation time, ms.
    fat : bool
        True for fat protons (suppressed by STIR).
    """

    pd: float
    t1: float
    t2: float
    fat: bool = False

    def scaled(self, factor: float) -> Component:
        """The same pool with ``factor`` times the protons."""
        return replace(self, pd=self.pd * factor)


@dataclass(frozen=True)
class Tissue:
    """A tissue as the scanner sees it.

    Attributes
    ----------
    key : str
        Stable identifier (``"marrow"``, ``"nucleus.3"``, ``"marrow.modic1"``).
    components : tuple of Component
        Its proton pools.
    """

    key: str
    components: tuple[Component, ...]

    @property
    def pd(self) -> float:
        """Total proton density."""
        return sum(c.pd for c in self.components)

    @property
    def fat_fraction(self) -> float:
        """Proton-density fat fraction (0 when there are no protons)."""
        total = self.pd
        return sum(c.pd for c in self.components if c.fat) / total if total > 0 else 0.0

    def water(self) -> Component | None:
        """The water pool (``None`` for pure fat or air)."""
        pools = [c for c in self.components if not c.fat]
        return pools[0] if pools else None


def at_field(t1_15: float, field: float) -> float:
    """T1 at ``field`` tesla from its 1.5 T value (see :data:`T1_3T_FACTOR`)."""
    if field not in FIELDS_T:
        msg = f"field: {field!r} T is not modelled; choose one of 1.5, 3"
        raise ValueError(msg)
    return t1_15 * (T1_3T_FACTOR if field == 3.0 else 1.0)


def _from3t(t1: float) -> float:
    return t1 / T1_3T_FACTOR


def mix(key: str, parts: Mapping[Tissue, float]) -> Tissue:
    """A tissue made of others in given volume shares (partial volume).

    ``mix("marrow.modic1/2", {modic1: 0.5, modic2: 0.5})`` is the mixed
    Modic type: half of each voxel behaves like each type.
    """
    comps = tuple(c.scaled(w) for t, w in parts.items() for c in t.components)
    return Tissue(key, comps)


# ---------------------------------------------------------------------------
# the published and chosen values
# ---------------------------------------------------------------------------

FAT_T1 = _from3t(382.0)
"""Fat T1 at 1.5 T: subcutaneous fat 382 ms at 3 T (de Bazelaire) / 1.21."""

FAT_T2 = 113.0
"""Fat T2 under CPMG refocusing (Mulkern 1994 marrow lipid), used because
fast spin echo breaks J-coupling and keeps fat bright; a conventional
multi-echo fit gives 68 ms (de Bazelaire), which matters little at the
short TE of T1-weighting."""

MARROW_PD = 0.911
MARROW_FAT_FRACTION = 0.35
MARROW_WATER_T1 = 650.0
MARROW_WATER_T2 = 71.0


def _water(pd, t1, t2) -> Component:
    return Component(pd, t1, t2, False)


def _fat(pd) -> Component:
    return Component(pd, FAT_T1, FAT_T2, True)


def _two_pool(key: str, pd: float, fat_fraction: float, water_t1: float, water_t2: float) -> Tissue:
    return Tissue(key, (_water(pd * (1 - fat_fraction), water_t1, water_t2), _fat(pd * fat_fraction)))


def marrow(fat_fraction: float = MARROW_FAT_FRACTION, *, key: str = "marrow") -> Tissue:
    """Vertebral marrow: water plus fat (healthy adult: 35 % fat)."""
    return _two_pool(key, MARROW_PD, fat_fraction, MARROW_WATER_T1, MARROW_WATER_T2)


def muscle(fat_fraction: float = 0.12, *, key: str = "muscle") -> Tissue:
    """Skeletal muscle with a share of fat (erector spinae 12 %, psoas 4.5 %)."""
    return _two_pool(key, 0.75, fat_fraction, _from3t(898.0), 29.0)


CAUDA_NERVE_SHARE = 0.45
"""Share of nerve in the cauda equina's bundle; the rest is CSF between the roots."""

BASE: dict[str, Tissue] = {
    "air": Tissue("air", ()),
    "csf": Tissue("csf", (_water(1.075, 4273.4, 1577.6),)),
    "fat": Tissue("fat", (_fat(0.90),)),
    "muscle": muscle(),
    "psoas": muscle(0.045, key="psoas"),
    "marrow": marrow(),
    "cortical": Tissue("cortical", (_water(0.05, 300.0, 0.5),)),
    "cartilage": Tissue("cartilage", (_water(0.70, 1000.0, 40.0),)),
    "ligament": Tissue("ligament", (_water(0.35, 600.0, 12.0),)),
    "flavum": Tissue("flavum", (_water(0.55, 800.0, 30.0),)),
    "dura": Tissue("dura", (_water(0.35, 700.0, 15.0),)),
    "nerve": Tissue("nerve", (_water(0.70, _from3t(876.0), 73.0),)),
    "vessel": Tissue("vessel", (_water(0.05, 1400.0, 250.0),)),
    "interspinous": Tissue("interspinous", (_water(0.21, 600.0, 12.0), _fat(0.36))),
    "cauda": Tissue(
        "cauda",
        (
            _water(0.70 * CAUDA_NERVE_SHARE, _from3t(876.0), 73.0),
            _water(1.075 * (1 - CAUDA_NERVE_SHARE), 4273.4, 1577.6),
        ),
    ),
    "vein": Tissue("vein", (_water(0.85, 1300.0, 160.0),)),
    "viscera": _two_pool("viscera", 0.80, 0.10, 800.0, 50.0),
}
"""Tissues whose values do not depend on the state."""

# Pfirrmann grade → (PD, T1 at 1.5 T, T2) of nucleus and annulus.
NUCLEUS_BY_GRADE: dict[int, tuple[float, float, float]] = {
    1: (0.95, 1250.0, 210.0),
    2: (0.86, 1164.9, 129.0),
    3: (0.70, 900.0, 84.0),
    4: (0.61, 723.0, 51.0),
    5: (0.48, 554.4, 36.0),
}
ANNULUS_BY_GRADE: dict[int, tuple[float, float, float]] = {
    1: (0.70, 950.0, 58.5),
    2: (0.66, 900.0, 52.0),
    3: (0.60, 800.0, 46.5),
    4: (0.52, 700.0, 38.5),
    5: (0.45, 600.0, 33.0),
}

# Modic type → marrow (PD, fat fraction, water T1 at 1.5 T, water T2).
MODIC_MARROW: dict[int, tuple[float, float, float, float]] = {
    1: (0.95, 0.10, 1100.0, 120.0),
    2: (0.93, 0.75, MARROW_WATER_T1, MARROW_WATER_T2),
    3: (0.35, 0.20, 600.0, 25.0),
}

MULTIFIDUS_FAT = {0: 0.10, 1: 0.25, 2: 0.45, 3: 0.70}
"""Multifidus fat fraction for the state's ``multifidus_fat`` (0–3)."""


def nucleus(grade: int) -> Tissue:
    """Nucleus pulposus of a disc with Pfirrmann ``grade`` (1–5)."""
    pd, t1, t2 = NUCLEUS_BY_GRADE[grade]
    return Tissue(f"nucleus.{grade}", (_water(pd, t1, t2),))


def annulus(grade: int) -> Tissue:
    """Annulus fibrosus of a disc with Pfirrmann ``grade`` (1–5)."""
    pd, t1, t2 = ANNULUS_BY_GRADE[grade]
    return Tissue(f"annulus.{grade}", (_water(pd, t1, t2),))


HERNIATED_NUCLEUS_SHARE = 0.3
"""Share of nucleus in herniated material; the rest is annulus (and endplate cartilage)."""


def herniated(grade: int) -> Tissue:
    """Herniated disc material: mostly annulus, some nucleus that has dried to at least grade III.

    Material that has left the disc is torn annulus and cartilage with some
    nucleus, and it dries out; on T2 a herniation is usually darker than the
    disc it came from and far darker than CSF and epidural fat, which is what
    makes it visible (model choice, direction from clinical descriptions; values NF).
    """
    return mix(
        f"herniation.{grade}",
        {nucleus(max(grade, 3)): HERNIATED_NUCLEUS_SHARE, annulus(grade): 1.0 - HERNIATED_NUCLEUS_SHARE},
    )


def modic_marrow(modic: str) -> Tissue:
    """Marrow of a Modic zone; ``modic`` is ``"1"``, ``"2"``, ``"3"``, ``"1/2"`` or ``"2/3"``.

    A mixed type is half of each type in every voxel.
    """
    types = [int(t) for t in str(modic).split("/")]
    pure = {}
    for t in types:
        if t not in MODIC_MARROW:
            msg = f"modic: {modic!r} is not a Modic type; choose 1, 2, 3, 1/2 or 2/3"
            raise ValueError(msg)
        pd, ff, t1, t2 = MODIC_MARROW[t]
        pure[t] = _two_pool(f"marrow.modic{t}", pd, ff, t1, t2)
    if len(types) == 1:
        return pure[types[0]]
    return mix(f"marrow.modic{modic}", {pure[t]: 1.0 / len(types) for t in types})


# ---------------------------------------------------------------------------
# where each number comes from (printed in docs/mri.md)
# ---------------------------------------------------------------------------

SOURCES: dict[str, str] = {
    "csf": (
        "V: PD 107.5 pu, T1 4273, T2 1578 (Drake-Pérez, AJNR 2018, SyMRI; taken as 1.5 T, field not checked)"
    ),
    "fat": (
        "T1 V: 382 ms at 3 T (de Bazelaire 2004) /1.21; T2 V: 113 ms marrow lipid, CPMG (Mulkern 1994), "
        "chosen over 68 ms multi-SE because FSE keeps fat bright; PD C: 0.90"
    ),
    "muscle": (
        "T1 V: 898 ms at 3 T /1.21, T2 V: 29 ms (de Bazelaire 2004); fat fraction V: 12 % erector spinae "
        "(PMC7063279); PD C: 0.75 (muscle is ~75 % water)"
    ),
    "psoas": "as muscle, fat fraction V: 4.5 % (PMC7063279)",
    "marrow": (
        "PD V: 91.1 pu (Drake-Pérez); fat fraction V: 35 % (Baum 2018, men in their 30s); water T2 V: 71 ms "
        "(Mulkern 1994, CPMG); water T1 D: 650 ms, fitted so that the two-pool recovery has the published "
        "whole-marrow T1 of 515 ms (Drake-Pérez)"
    ),
    "cortical": "V: T2 ≈ 0.4 ms, invisible at clinical TE (PMC3899101); PD and T1 C (they do not matter)",
    "cartilage": "C: PD 0.70, T1 1000, T2 40 ms, from hyaline cartilage (30–50 ms); endplate values NF",
    "ligament": "C: PD 0.35, T1 600, T2 12 ms; dense collagen is dark on every sequence; values NF",
    "flavum": "C: PD 0.55, T1 800, T2 30 ms; elastic, greyer than other ligaments on MRI; values NF",
    "dura": "C: as dense collagen (PD 0.35, T2 15 ms), a thin dark line round the CSF",
    "nerve": "V (nearest): cord white matter T1 876 ms at 3 T /1.21, T2 73 ms (Smith, MRM 2008); roots NF",
    "vessel": "C: flow void, PD 0.05 — flowing blood leaves the slice between the spin-echo pulses",
    "interspinous": "C: 60 % ligament, 40 % fat — the interspinous ligament has fat between its fibres",
    "cauda": "C: 45 % nerve, 55 % CSF — the cauda's roots are separate strands with CSF between them",
    "vein": "C: slow venous blood (basivertebral vein), PD 0.85, T1 1300, T2 160 ms; bright on T2",
    "viscera": "C: a stand-in for bowel and mesentery (PD 0.8, T1 800, T2 50, 10 % fat); not modelled",
    "nucleus": (
        "T2 V: I 210, II 129, III 84, IV 51 ms (ESR EPOS poster); V 36 C (the I→IV trend, ×0.7 a grade). "
        "T1/PD V: "
        "II 1165/0.79→0.86, IV 723/0.61, V 554/0.48 (Drake-Pérez normal, intermediate, desiccated disc); "
        "I 1250/0.95 and III 900/0.70 C (between them; the nucleus is wetter than the whole disc)"
    ),
    "annulus": (
        "T2 V: mean of anterior and posterior annulus by grade, I 58.5 → IV 38.5 ms (EPOS poster); "
        "V 33 C; PD and T1 C, falling with grade as the disc dries"
    ),
    "herniation": (
        "C: 30 % nucleus (at least grade III: it dries once out of the disc), 70 % annulus of the disc's "
        "grade; darker than CSF and epidural fat on T2, as herniations usually are"
    ),
    "marrow.modic1": (
        "C (Modic 1988 direction; values NF): oedema — fat fraction 10 %, "
        "water T1 1100 ms, T2 120 ms, PD 0.95"
    ),
    "marrow.modic2": (
        "C (Modic 1988 direction; values NF): fatty marrow — fat fraction 75 % (Ruschke max 82 %)"
    ),
    "marrow.modic3": "C (Modic 1988b direction; values NF): sclerosis — PD 0.35, water T2 25 ms",
    "multifidus": (
        "C: fat fraction 10 / 25 / 45 / 70 % for multifidus_fat 0–3 (Goddard grades <10, 10–50, >50 %)"
    ),
}
