# shellcheck shell=bash
# Browser parts for the rendering tests, meant to be sourced by scripts/test:
# Debian's chromium with a Japanese font, and the official Adaptive Cards
# JavaScript renderer (npm package adaptivecards 3.0.x) in a cache under the
# repository. Exports SHDMC_CHROMIUM and SHDMC_ADAPTIVECARDS_JS, which the
# internal/render browser tests read.
#
#   source scripts/lib/browser.sh   # runs shdmc_browser_setup

shdmc_browser_setup() {
	local root
	root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	local sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		sudo="sudo -n"
	fi

	local pkgs=()
	[ -x /usr/bin/chromium ] || pkgs+=(chromium)
	dpkg-query -W -f='${Status}' fonts-ipafont-gothic 2>/dev/null | grep -q "install ok installed" || pkgs+=(fonts-ipafont-gothic)
	# The iCalendar feed of internal/serve is checked by an independent parser.
	dpkg-query -W -f='${Status}' python3-icalendar 2>/dev/null | grep -q "install ok installed" || pkgs+=(python3-icalendar)
	if [ ${#pkgs[@]} -gt 0 ]; then
		echo "== apt-get install ${pkgs[*]}"
		export DEBIAN_FRONTEND=noninteractive
		if ! apt-cache show "${pkgs[0]}" >/dev/null 2>&1 || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ]; then
			$sudo apt-get update -qq </dev/null
		fi
		$sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}" </dev/null >/dev/null
	fi
	if [ ! -x /usr/bin/chromium ]; then
		echo "scripts/lib/browser.sh: /usr/bin/chromium is still missing after apt-get" >&2
		return 1
	fi

	local cache="$root/.cache/npm"
	local js="$cache/node_modules/adaptivecards/dist/adaptivecards.min.js"
	if [ ! -f "$js" ]; then
		if ! command -v npm >/dev/null 2>&1; then
			echo "scripts/lib/browser.sh: npm is required to install adaptivecards (apt-get install npm)" >&2
			return 1
		fi
		echo "== npm install adaptivecards@3.0.x"
		mkdir -p "$cache"
		npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$cache" "adaptivecards@~3.0.0" </dev/null >/dev/null
	fi
	if [ ! -f "$js" ]; then
		echo "scripts/lib/browser.sh: $js not found after npm install" >&2
		return 1
	fi
	export SHDMC_CHROMIUM=/usr/bin/chromium
	export SHDMC_ADAPTIVECARDS_JS="$js"
	echo "== browser parts: $("$SHDMC_CHROMIUM" --version 2>/dev/null | head -1), adaptivecards $(node -p "require('$cache/node_modules/adaptivecards/package.json').version" 2>/dev/null || echo '?')"
}

# Sourcing the file sets the parts up; SHDMC_BROWSER_SETUP=0 only defines the function.
if [ "${SHDMC_BROWSER_SETUP:-1}" != 0 ]; then
	shdmc_browser_setup
fi
