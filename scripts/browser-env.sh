# Sourced by scripts/browser-tests.sh and scripts/screenshots.sh: makes sure headless chromium, its driver,
# Selenium 4, pytest and the axe-core script are there (CI starts on a machine with only the Swift toolchain, as
# root), installing what is missing: chromium and chromium-driver with apt-get, Selenium and pytest with pip into a
# virtual environment when the system Python lacks them (the system's packages stay untouched). axe-core comes
# from `axe-playwright-python`, which ships it as a file (`axe.min.js`); only that file is used, so the package is
# installed without its dependencies (Playwright). Sets PYTHON.
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi
apt_updated=""
apt_install() {
    if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq; apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    echo "browser tests: installing chromium and chromium-driver" >&2
    apt_install chromium chromium-driver
fi
command -v python3 >/dev/null || apt_install python3

AXE_PACKAGE="axe-playwright-python==0.1.8"
# The axe-core script is found by its path, not imported: importing the package would need Playwright.
has_axe='import importlib.util, pathlib, sys; spec = importlib.util.find_spec("axe_playwright_python"); sys.exit(0 if spec and (pathlib.Path(spec.origin).parent / "axe.min.js").is_file() else 1)'
PYTHON=python3
if ! python3 -c 'import selenium, pytest' 2>/dev/null || ! python3 -c "$has_axe" 2>/dev/null; then
    VENV="${WAVELINE_BROWSER_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/waveline/browser-venv}"
    if ! "$VENV/bin/python" -c 'import selenium, pytest' 2>/dev/null; then
        echo "browser tests: installing selenium and pytest into $VENV" >&2
        rm -rf "$VENV"
        python3 -m venv "$VENV" 2>/dev/null || { rm -rf "$VENV"; apt_install python3-venv python3-pip; python3 -m venv "$VENV"; }
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check selenium pytest
    fi
    if ! "$VENV/bin/python" -c "$has_axe" 2>/dev/null; then
        echo "browser tests: installing the axe-core script ($AXE_PACKAGE) into $VENV" >&2
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps "$AXE_PACKAGE"
    fi
    PYTHON="$VENV/bin/python"
fi

export PYTHONDONTWRITEBYTECODE=1
