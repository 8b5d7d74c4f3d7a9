#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder's image. It installs the
# kit into $ROOT/venv from this zip alone: the wheelhouse holds the kit and every pinned
# dependency, built by `kmeans-kit gradescope-bundle` for Python @PYTHON_VERSION@ on x86_64
# Linux with glibc @GLIBC@ or newer-compatible (manylinux). Grading never needs the network.
set -euo pipefail
# Gradescope sets neither variable. The kit's own test unpacks the zip under another root
# (AUTOGRADER_ROOT) and brings an interpreter of its own (KMEANS_KIT_PYTHON: no apt-get).
ROOT=${AUTOGRADER_ROOT:-/autograder}
SOURCE=$ROOT/source
VENV=$ROOT/venv
WANT=@PYTHON_VERSION@
MINOR=${WANT%.*}

# The wheels are cp${MINOR/./} builds and the pins ask for at least $WANT (soupsieve, for one,
# needs 3.11.5): same minor version, same or newer patch.
suitable() {
    "$1" -c "import sys; want = tuple(map(int, '$WANT'.split('.')))
sys.exit(sys.version_info[:2] != want[:2] or sys.version_info[:3] < want)" 2>/dev/null
}

if [ -n "${KMEANS_KIT_PYTHON:-}" ]; then
    PYTHON=$KMEANS_KIT_PYTHON
else
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # The jail's tools. Gradescope's containers cannot make namespaces, so bubblewrap fails
    # its probe there and the uid-only jail (util-linux's setpriv and prlimit, in every
    # Ubuntu image) is used; bubblewrap is installed for images that can.
    apt-get install -y -qq bubblewrap cgroup-tools >/dev/null
    PYTHON=python$MINOR
    if ! suitable "$PYTHON"; then
        # Ubuntu 22.04 (Gradescope's base image) has Python 3.10, and its universe's
        # python3.11 is an early 3.11.0 build, older than the pins allow. deadsnakes
        # packages current patch releases of newer Pythons for Ubuntu's LTS releases.
        apt-get install -y -qq software-properties-common >/dev/null
        add-apt-repository -y ppa:deadsnakes/ppa
        apt-get update -qq
        apt-get install -y -qq "python$MINOR" "python$MINOR-venv" >/dev/null
    fi
fi
if ! suitable "$PYTHON"; then
    echo "setup.sh: $PYTHON is not Python $MINOR.x at least $WANT, which this bundle's wheels" \
         "were built for. Rebuild it: kmeans-kit gradescope-bundle --python-version X.Y.Z" >&2
    exit 1
fi

"$PYTHON" -m venv --clear "$VENV"
# Nothing but the zip: no index, and neither the image's pip configuration nor PIP_*
# variables (--isolated; PIP_CONFIG_FILE=/dev/null drops every configuration file).
PIP_CONFIG_FILE=/dev/null "$VENV/bin/python" -m pip install --isolated --no-index \
    --disable-pip-version-check --find-links "$SOURCE/wheelhouse" \
    -c "$SOURCE/constraints.txt" kmeans-teaching-kit
# The jail's uid runs the venv's interpreter and reads the kit: open them to others.
chmod a+rx "$ROOT" "$SOURCE" "$SOURCE/run_autograder" "$SOURCE/grade_indexed"
chmod -R a+rX "$VENV"
"$VENV/bin/kmeans-kit" --help >/dev/null
echo "setup.sh: the kit is installed in $VENV ($("$VENV/bin/python" --version))"
