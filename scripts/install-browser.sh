#!/bin/sh
# Install Chromium and its WebDriver with the system's package manager, if they are missing.
#
# The explorer's browser tests (tests/test_explore_browser.py) drive them with selenium.
# A browser that downloads itself (playwright's, selenium-manager's) needs the open internet;
# the system's packages only need its package registry. Quick when both are there. Never
# fails: without them it prints one line, and the browser tests are skipped saying why.
#
#   sh scripts/install-browser.sh
set -u

have() { command -v "$1" >/dev/null 2>&1; }
browser() { have chromium || have chromium-browser || have google-chrome; }

browser && have chromedriver && exit 0

if [ "$(id -u)" = 0 ]; then
    S=""
elif have sudo && sudo -n true 2>/dev/null; then
    S="sudo -n"
else
    echo "Chromium: not installed and no root to install it; the explorer's browser tests will be skipped" >&2
    exit 0
fi

try() {  # try MANAGER COMMAND...: run the install command if MANAGER is on PATH
    have "$1" || return 1
    echo "installing Chromium and chromedriver with $1 (for the explorer's browser tests)"
    shift
    "$@" >/dev/null 2>&1 && browser && have chromedriver
}

try apt-get sh -c "$S apt-get update -qq && DEBIAN_FRONTEND=noninteractive $S apt-get install -y -qq chromium chromium-driver" ||
    try dnf $S dnf install -y -q chromium chromedriver ||
    try pacman $S pacman -S --noconfirm --needed chromium ||
    try apk $S apk add --quiet chromium chromium-chromedriver ||
    echo "Chromium and chromedriver could not be installed: the explorer's browser tests will be skipped"
exit 0
