#!/usr/bin/env bash
# build.sh [CACHE_DIR] — builds the pulumi CLI (v3.274.1) and the YAML
# language host (pulumi-yaml v1.25.0) from the Go module proxy, into a
# directory keyed by a hash of this module's files and the Go version. Skips
# the build when that directory is complete. Prints the directory on stdout;
# progress goes to stderr.
#
# Layout of the printed directory:
#   bin/pulumi                        the CLI (put bin/ first on PATH)
#   bin/pulumi-language-yaml          the YAML language host
#
# The AWS provider is not built here: datalayer serves a simulated one
# itself (package pulumiclient/simprovider; see README.md).
#
# Default CACHE_DIR: ${XDG_CACHE_HOME:-$HOME/.cache}/datalayer/pulumi-tools.
# Go's own caches stay at their defaults. A cold build takes many minutes and
# a few GB of Go build cache; a warm one returns at once. The three newest
# builds are kept; a binary whose inputs did not change is copied from one.
set -euo pipefail

PULUMI_VERSION=v3.274.1
YAML_VERSION=v1.25.0

# hash FILE... — a short hash of the Go version and the files' contents.
hash() {
	{
		go env GOVERSION GOOS GOARCH
		sha256sum "$@"
	} | sha256sum | cut -c1-16
}

# reuse NAME KEY DEST — copies the binary NAME (bin/x) from an
# earlier complete build whose .NAME-key matches, and says whether it did.
reuse() {
	local name="$1" want="$2" dest="$3" dir
	for dir in "$cache"/*/; do
		if [[ -f "$dir/.complete" && -f "$dir/$name.key" && "$(cat "$dir/$name.key")" == "$want" && -x "$dir/$name" ]]; then
			cp "$dir/$name" "$dest" && return 0
		fi
	done
	return 1
}

main() {
	local here cache key out tmp start
	here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
	cache="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/datalayer/pulumi-tools}"
	command -v go >/dev/null || { echo "build.sh: go not found on PATH; install Go 1.26" >&2; exit 1; }
	cd "$here"

	# The key covers everything that changes the binaries.
	key="$(hash build.sh $(find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) \
		-not -name '*_test.go' -not -path './testdata/*' | LC_ALL=C sort))"
	out="$cache/$key"
	if [[ -f "$out/.complete" ]]; then
		echo "$out"
		return 0
	fi

	mkdir -p "$cache"
	exec 9>"$cache/.lock"
	flock 9
	if [[ -f "$out/.complete" ]]; then # built by someone else while we waited
		echo "$out"
		return 0
	fi

	tmp="$(mktemp -d "$cache/.build-$key-XXXXXX")"
	trap 'rm -rf "$tmp"' EXIT
	mkdir -p "$tmp/bin"
	start=$(date +%s)
	echo "build.sh: building into $out (cold: many minutes)" >&2

	local cli_key yaml_key
	cli_key="$(echo "$PULUMI_VERSION" | hash - go.mod go.sum tools.go)"
	yaml_key="$(echo "$YAML_VERSION" | hash - yaml/go.mod yaml/go.sum yaml/tools.go)"
	if ! reuse bin/pulumi "$cli_key" "$tmp/bin/pulumi"; then
		echo "build.sh: pulumi $PULUMI_VERSION" >&2
		go build -o "$tmp/bin/pulumi" \
			-ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
			github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
	fi
	echo "$cli_key" >"$tmp/bin/pulumi.key"
	if ! reuse bin/pulumi-language-yaml "$yaml_key" "$tmp/bin/pulumi-language-yaml"; then
		echo "build.sh: pulumi-language-yaml $YAML_VERSION" >&2
		(cd yaml && go build -o "$tmp/bin/pulumi-language-yaml" \
			-ldflags "-X github.com/pulumi/pulumi-yaml/pkg/version.Version=$YAML_VERSION" \
			github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml)
	fi
	echo "$yaml_key" >"$tmp/bin/pulumi-language-yaml.key"
	"$tmp/bin/pulumi" version >/dev/null

	touch "$tmp/.complete"
	rm -rf "$out"
	mv "$tmp" "$out"
	trap - EXIT
	# Keep the three most recent builds; older keys belong to old checkouts.
	# Only directories this script made (16 hex digits holding .complete) go.
	find "$cache" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended -regex '.*/[0-9a-f]{16}' \
		-exec test -f '{}/.complete' ';' -printf '%T@ %p\n' |
		sort -rn | tail -n +4 | cut -d' ' -f2- | while read -r old; do rm -rf "$old"; done
	echo "build.sh: built in $(($(date +%s) - start))s" >&2
	echo "$out"
}

main "$@"
