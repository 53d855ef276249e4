#!/bin/sh
# Install the Graphviz `dot` program with the system's package manager, if it is missing.
#
# Tries apt-get, dnf, yum, pacman, zypper, apk and brew, in that order, using sudo only
# when not root and sudo exists. Never fails: without a package manager that can install
# Graphviz it prints one line saying so, and .svg drawings are laid out by autograd_lite
# (a plainer layout) while the tests that need Graphviz are skipped.
#
#   sh scripts/install-graphviz.sh [--quiet]    (--quiet: no line when it cannot be installed;
#                                                the demo says it in its own words)
set -u
QUIET=${1:-}

command -v dot >/dev/null 2>&1 && exit 0

if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    SUDO="none"
fi

try() {  # try MANAGER COMMAND...: run the install command if MANAGER is on PATH
    manager=$1
    shift
    command -v "$manager" >/dev/null 2>&1 || return 1
    if [ "$manager" != brew ] && [ "$SUDO" = none ]; then
        [ "$QUIET" = --quiet ] || echo "Graphviz: '$manager' needs root and there is no sudo; skipping" >&2
        return 1
    fi
    # Quiet: a line only once it worked (else the demo's own line says it is missing).
    [ "$QUIET" = --quiet ] || echo "installing Graphviz's 'dot' program with $manager"
    "$@" >/dev/null 2>&1 && command -v dot >/dev/null 2>&1 || return 1
    [ "$QUIET" = --quiet ] && echo "installed Graphviz's 'dot' program with $manager"
    return 0
}

S=""
[ "$SUDO" = sudo ] && S="sudo"

try apt-get sh -c "$S apt-get update -qq && DEBIAN_FRONTEND=noninteractive $S apt-get install -y -qq graphviz" ||
    try dnf $S dnf install -y -q graphviz ||
    try yum $S yum install -y -q graphviz ||
    try pacman $S pacman -S --noconfirm --needed graphviz ||
    try zypper $S zypper --non-interactive --quiet install graphviz ||
    try apk $S apk add --quiet graphviz ||
    try brew brew install --quiet graphviz ||
    [ "$QUIET" = --quiet ] ||
    echo "Graphviz's 'dot' program is not installed and could not be (https://graphviz.org/download/):" \
        "drawings are laid out by autograd_lite (a plainer layout) and the tests that need it are skipped"
exit 0
