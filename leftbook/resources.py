"""Where the shipped `templates/`, `static/` and default `boards/` are: beside the package in
a checkout or an editable install, under `<prefix>/share/leftbook/` from a built wheel
(the data files of setup.cfg)."""

import site
import sysconfig
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
SHARE = Path("share") / "leftbook"


def shipped_dir(name: str) -> Path:
    """The directory `name` ("templates", "static" or "boards") this installation carries."""
    candidates = [CHECKOUT / name] if (CHECKOUT / "setup.cfg").is_file() else []
    candidates += [Path(sysconfig.get_path("data")) / SHARE / name,
                   Path(site.getuserbase()) / SHARE / name,
                   CHECKOUT / SHARE / name]  # pip install --target DIR
    if len(CHECKOUT.parents) > 2:  # pip install --prefix P: P/lib/pythonX.Y/site-packages
        candidates.append(CHECKOUT.parents[2] / SHARE / name)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"Leftbook's {name}/ directory is missing from this installation "
                            f"(looked in {', '.join(map(str, candidates))}); reinstall it.")
