"""Every sentence the app shows, in English and Norwegian bokmål.

The condition fields bring their own labels and help lines from
:data:`spineviz.conditions.state.FIELDS`; this module holds the rest: the
interface words, structure-group names, and a name and one plain sentence for
each kind of part (keyed by the dotted components of the stable part names,
so ``L4.root.left`` finds ``root``).
"""

from __future__ import annotations

LANGUAGES = ("nb", "en")
DEFAULT_LANGUAGE = "en"

UI: dict[str, dict[str, str]] = {
    "title": {"en": "Spine explorer", "nb": "Ryggutforsker"},
    "subtitle": {
        "en": "The lower back, one segment: two vertebrae and the disc between them",
        "nb": "Korsryggen, ett segment: to virvler og skiven mellom dem",
    },
    "education": {
        "en": (
            "For learning only, not a diagnosis. Talk with your "
            "doctor or physiotherapist about your own images."
        ),
        "nb": (
            "Kun for læring, ikke en diagnose. Snakk med legen eller fysioterapeuten din om dine egne bilder."
        ),
    },
    "findings": {"en": "Findings", "nb": "Funn"},
    "structures": {"en": "Structures", "nb": "Strukturer"},
    "view": {"en": "View", "nb": "Visning"},
    "camera": {"en": "Viewpoint", "nb": "Synsvinkel"},
    "reset": {"en": "Healthy again", "nb": "Frisk igjen"},
    "opacity": {"en": "see-through", "nb": "gjennomsiktig"},
    "clip": {"en": "Cut open", "nb": "Skjær gjennom"},
    "clip_axis": {"en": "Cut direction", "nb": "Snittretning"},
    "clip_offset": {"en": "Cut position", "nb": "Snittets plass"},
    "labels": {"en": "Show names", "nb": "Vis navn"},
    "compare": {"en": "Compare with healthy", "nb": "Sammenlign med frisk"},
    "healthy": {"en": "Healthy", "nb": "Frisk"},
    "current": {"en": "With these findings", "nb": "Med disse funnene"},
    "share": {"en": "Copy link", "nb": "Kopier lenke"},
    "shared": {"en": "Link copied", "nb": "Lenken er kopiert"},
    "screenshot": {"en": "Save image", "nb": "Lagre bilde"},
    "transparent": {"en": "Transparent background", "nb": "Gjennomsiktig bakgrunn"},
    "presenter": {"en": "Presenter mode", "nb": "Presentasjonsmodus"},
    "language": {"en": "Språk: norsk", "nb": "Language: English"},
    "controls": {"en": "Controls", "nb": "Innstillinger"},
    "pick_hint": {
        "en": "Tap a part to see what it is.",
        "nb": "Trykk på en del for å se hva den er.",
    },
    "keys": {
        "en": "Keys: ← → tour · 0–3 Modic type · c compare · f full screen",
        "nb": "Taster: ← → omvisning · 0–3 Modic-type · c sammenlign · f fullskjerm",
    },
    "tour": {"en": "Guided tour", "nb": "Omvisning"},
    "modic_0": {"en": "No Modic", "nb": "Ingen Modic"},
    "modic_1": {"en": "Modic 1", "nb": "Modic 1"},
    "modic_2": {"en": "Modic 2", "nb": "Modic 2"},
    "modic_3": {"en": "Modic 3", "nb": "Modic 3"},
    "next": {"en": "Next", "nb": "Neste"},
    "previous": {"en": "Back", "nb": "Tilbake"},
    "close": {"en": "Close", "nb": "Lukk"},
    "sources": {"en": "Sources", "nb": "Kilder"},
    "panel": {"en": "MR image and nerves", "nb": "MR-bilde og nerver"},
    "tab_mri": {"en": "MR image", "nb": "MR-bilde"},
    "tab_nerves": {"en": "Nerve supply", "nb": "Nerveforsyning"},
    "mri_position": {"en": "Slice position", "nb": "Snittets plass"},
    "mri_note": {
        "en": (
            "A made-up MR image drawn from this 3D model, not from a real scan. "
            "The blue plane in the 3D view shows where the slice lies."
        ),
        "nb": (
            "Et konstruert MR-bilde tegnet fra denne 3D-modellen, ikke fra en ekte undersøkelse. "
            "Det blå planet i 3D-visningen viser hvor snittet ligger."
        ),
    },
    "invalid": {"en": "That setting was not accepted", "nb": "Den innstillingen ble ikke godtatt"},
}

GROUP_NAMES: dict[str, dict[str, str]] = {
    "bone": {"en": "Bone", "nb": "Bein"},
    "disc": {"en": "Disc", "nb": "Skive"},
    "nerves": {"en": "Nerves", "nb": "Nerver"},
    "vessels": {"en": "Vessels", "nb": "Blodårer"},
    "muscle": {"en": "Muscle", "nb": "Muskel"},
    "ligaments": {"en": "Ligaments", "nb": "Leddbånd"},
    "findings": {"en": "Findings", "nb": "Funn"},
}

MRI_PLANES: dict[str, dict[str, str]] = {
    "sagittal": {"en": "From the side", "nb": "Fra siden"},
    "axial": {"en": "Cross-section", "nb": "Tverrsnitt"},
}

CAMERA_NAMES: dict[str, dict[str, str]] = {
    "lateral": {"en": "Side", "nb": "Fra siden"},
    "posterior": {"en": "Back", "nb": "Bakfra"},
    "anterior": {"en": "Front", "nb": "Forfra"},
    "oblique": {"en": "Oblique", "nb": "På skrå"},
    "axial": {"en": "From above", "nb": "Ovenfra"},
    "endplate": {"en": "Endplate close-up", "nb": "Endeplaten nært"},
}

CLIP_AXES: dict[str, dict[str, str]] = {
    "sagittal": {"en": "Front to back (middle)", "nb": "Forfra og bakover (midten)"},
    "axial": {"en": "Across (from above)", "nb": "På tvers (ovenfra)"},
    "coronal": {"en": "Side to side", "nb": "Fra side til side"},
}

# A name and one plain sentence for each kind of part, by name component.
# Checked in order: the first component found in the part's name wins, so
# the more specific words come first.
PARTS: tuple[tuple[str, dict[str, str], dict[str, str]], ...] = (
    (
        "modic",
        {"en": "Modic change", "nb": "Modic-forandring"},
        {
            "en": (
                "Bone marrow next to the disc that looks different "
                "on MRI; common, and often found without pain."
            ),
            "nb": "Benmarg inntil skiven som ser annerledes ut på MR; vanlig, og ofte funnet uten smerter.",
        },
    ),
    (
        "herniation",
        {"en": "Disc herniation", "nb": "Prolaps"},
        {
            "en": (
                "Disc material that has moved past the disc's normal edge; many shrink again by themselves."
            ),
            "nb": (
                "Skivemateriale som har flyttet seg forbi skivens "
                "vanlige kant; mange krymper igjen av seg selv."
            ),
        },
    ),
    (
        "endplate",
        {"en": "Endplate", "nb": "Endeplate"},
        {
            "en": "The thin layer of bone that closes the top and bottom of a vertebra, facing the disc.",
            "nb": "Det tynne beinlaget som lukker toppen og bunnen av en virvel, mot skiven.",
        },
    ),
    (
        "basivertebral",
        {"en": "Basivertebral nerve", "nb": "Basivertebral nerve"},
        {
            "en": "A small nerve inside the vertebra that carries signals from the endplates.",
            "nb": "En liten nerve inne i virvelen som leder signaler fra endeplatene.",
        },
    ),
    (
        "body",
        {"en": "Vertebral body", "nb": "Virvellegeme"},
        {
            "en": "The strong, round front part of a vertebra that carries your weight.",
            "nb": "Den sterke, runde fremre delen av en virvel som bærer vekten din.",
        },
    ),
    (
        "arch",
        {"en": "Vertebral arch", "nb": "Virvelbue"},
        {
            "en": "The ring of bone behind the body that protects the nerves and holds the small joints.",
            "nb": "Beinringen bak virvellegemet som beskytter nervene og bærer de små leddene.",
        },
    ),
    (
        "nucleus",
        {"en": "Nucleus (disc centre)", "nb": "Kjernen i skiven"},
        {
            "en": "The soft, water-rich centre of the disc that spreads the load like a cushion.",
            "nb": "Den myke, væskerike kjernen i skiven som fordeler trykket som en pute.",
        },
    ),
    (
        "annulus",
        {"en": "Annulus (disc ring)", "nb": "Skivens ytre ring"},
        {
            "en": "Tough rings of fibre around the disc centre that hold it in place.",
            "nb": "Seige ringer av fibre rundt skivekjernen som holder den på plass.",
        },
    ),
    (
        "cartilage",
        {"en": "Cartilage endplate", "nb": "Brusk-endeplate"},
        {
            "en": (
                "A thin layer of cartilage between the disc and "
                "the bone; food for the disc passes through it."
            ),
            "nb": "Et tynt brusklag mellom skiven og beinet; næring til skiven går gjennom det.",
        },
    ),
    (
        "root",
        {"en": "Nerve root", "nb": "Nerverot"},
        {
            "en": "A nerve leaving the spinal canal on its way to the leg.",
            "nb": "En nerve som forlater ryggmargskanalen på vei ned til benet.",
        },
    ),
    (
        "sinuvertebral",
        {"en": "Sinuvertebral nerve", "nb": "Sinuvertebral nerve"},
        {
            "en": "A small nerve that senses the back of the disc and nearby ligaments.",
            "nb": "En liten nerve som kjenner baksiden av skiven og leddbåndene der.",
        },
    ),
    (
        "dural_sac",
        {"en": "Dural sac", "nb": "Durasekken"},
        {
            "en": "The tube of membrane, filled with fluid, that holds the nerves in the spinal canal.",
            "nb": "Hinnerøret, fylt med væske, som rommer nervene i ryggmargskanalen.",
        },
    ),
    (
        "cauda_equina",
        {"en": "Cauda equina", "nb": "Cauda equina"},
        {
            "en": "The bundle of nerves inside the lower spinal canal, named for a horse's tail.",
            "nb": "Nervebunten nederst i ryggmargskanalen, oppkalt etter en hestehale.",
        },
    ),
    (
        "fibres",
        {"en": "Nerve fibres", "nb": "Nervefibre"},
        {
            "en": "Fine nerve fibres; in a healthy disc they stay in the outer part of the ring.",
            "nb": "Tynne nervefibre; i en frisk skive holder de seg i den ytre delen av ringen.",
        },
    ),
    (
        "vessels",
        {"en": "Small blood vessels", "nb": "Små blodårer"},
        {
            "en": "Tiny blood vessels; a healthy disc centre has almost none.",
            "nb": "Bitte små blodårer; en frisk skivekjerne har nesten ingen.",
        },
    ),
    (
        "ligamentum_flavum",
        {"en": "Ligamentum flavum", "nb": "Det gule leddbåndet"},
        {
            "en": "An elastic band joining the arches, at the back of the spinal canal.",
            "nb": "Et elastisk bånd mellom virvelbuene, bakerst i ryggmargskanalen.",
        },
    ),
    (
        "plc",
        {"en": "Posterior longitudinal ligament", "nb": "Bakre lengdebånd"},
        {
            "en": "A band running down the back of the vertebral bodies and discs.",
            "nb": "Et bånd som går nedover baksiden av virvellegemene og skivene.",
        },
    ),
    (
        "multifidus",
        {"en": "Multifidus muscle", "nb": "Multifidus-muskelen"},
        {
            "en": "A deep back muscle that steadies each vertebra.",
            "nb": "En dyp ryggmuskel som holder hver virvel stødig.",
        },
    ),
)

SIDE_WORDS = {"left": {"en": "left", "nb": "venstre"}, "right": {"en": "right", "nb": "høyre"}}


def part_title(name: str, lang: str) -> str:
    """Display name of a part, e.g. ``"L4 · Vertebral body"`` or ``"L5 · Nerve root (left)"``."""
    components = name.split(".")
    for key, title, _sentence in PARTS:
        if key in components:
            prefix = components[0] if components[0] != key else ""
            side = next((SIDE_WORDS[c][lang] for c in components if c in SIDE_WORDS), "")
            text = title[lang] + (f" ({side})" if side else "")
            return f"{prefix} · {text}" if prefix else text
    return name


def part_sentence(name: str, lang: str) -> str:
    """One plain sentence about a part; empty when the part kind is unknown."""
    components = name.split(".")
    for key, _title, sentence in PARTS:
        if key in components:
            return sentence[lang]
    return ""


def check_language(lang: str) -> str:
    """Return ``lang`` if supported, else raise a clear error."""
    if lang not in LANGUAGES:
        msg = f"lang: {lang!r} is not allowed; choose one of {', '.join(LANGUAGES)}"
        raise ValueError(msg)
    return lang


def strings(lang: str) -> dict[str, str]:
    """All interface words in ``lang`` (for the UI to bind as ``t.<key>``)."""
    check_language(lang)
    out = {key: value[lang] for key, value in UI.items()}
    out.update({f"group_{key}": value[lang] for key, value in GROUP_NAMES.items()})
    return out


def browser_language(accept: str | None) -> str:
    """The supported language a browser prefers (``navigator.language`` or Accept-Language)."""
    for item in (accept or "").replace(" ", "").split(","):
        code = item.split(";")[0].split("-")[0].lower()
        if code in ("nb", "no", "nn"):
            return "nb"
        if code == "en":
            return "en"
    return DEFAULT_LANGUAGE
