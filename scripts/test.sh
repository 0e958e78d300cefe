#!/usr/bin/env bash
# scripts/test.sh — the whole test suite, including its set-up, from a clean
# clone on a machine that has only Go:
#
#   1. installs the AWS CLI v2 (Debian package awscli, /usr/bin/aws), tmux and
#      PostgreSQL (Debian package postgresql) with apt-get when they are missing;
#   2. builds the pulumi CLI and the YAML language host (tools/pulumi/build.sh,
#      cached) and exports DATALAYER_PULUMI_TOOLS (the AWS provider the real
#      CLI uses in tests is datalayer's own simulated one, pulumiclient/simprovider);
#   3. gofmt check, go vet, golangci-lint (v2.15.0, cached), goreleaser check;
#   4. go test ./... (with -race on the packages where it is affordable).
#
# Everything it builds is cached under ${XDG_CACHE_HOME:-$HOME/.cache}/datalayer.
# Set DATALAYER_SKIP_LINT=1 to skip step 3's linter and goreleaser (local use).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$(pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/datalayer"
bin="$cache/bin"
mkdir -p "$bin"

GOLANGCI_LINT_VERSION=v2.15.0
GORELEASER_VERSION=v2.15.1
TEST_TIMEOUT="${DATALAYER_TEST_TIMEOUT:-30m}"

start=$(date +%s)
step() { printf '\n==> %s (%ds)\n' "$*" "$(($(date +%s) - start))"; }

command -v go >/dev/null || { echo "test.sh: go not found on PATH; install Go $(sed -n 's/^go //p' go.mod)" >&2; exit 1; }

# --- 1. system packages --------------------------------------------------------
need=()
[[ -x /usr/bin/aws ]] || need+=(awscli)
command -v tmux >/dev/null || need+=(tmux)
command -v git >/dev/null || need+=(git)
# A real PostgreSQL server for the upgrade's spot checks (internal/pgtest).
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || need+=(postgresql)
if ((${#need[@]})); then
	step "installing ${need[*]} with apt-get"
	sudo=""
	if [[ $(id -u) -ne 0 ]]; then
		command -v sudo >/dev/null || { echo "test.sh: need root or sudo to install ${need[*]}" >&2; exit 1; }
		sudo="sudo"
	fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" </dev/null >/dev/null
fi
/usr/bin/aws --version

# --- 2. pulumi tools -----------------------------------------------------------
step "building the pulumi tools (cached)"
DATALAYER_PULUMI_TOOLS="$(tools/pulumi/build.sh)"
export DATALAYER_PULUMI_TOOLS
echo "DATALAYER_PULUMI_TOOLS=$DATALAYER_PULUMI_TOOLS"

# --- 3. static checks ----------------------------------------------------------
step "gofmt"
unformatted="$(git ls-files -co --exclude-standard '*.go' | xargs -r gofmt -l)"
if [[ -n "$unformatted" ]]; then
	echo "gofmt would change these files (run gofmt -w):" >&2
	echo "$unformatted" >&2
	exit 1
fi

step "go vet ./..."
go vet ./...

if [[ "${DATALAYER_SKIP_LINT:-}" != 1 ]]; then
	step "golangci-lint $GOLANGCI_LINT_VERSION"
	lint="$bin/golangci-lint-$GOLANGCI_LINT_VERSION"
	if [[ ! -x "$lint" ]]; then
		GOBIN="$cache/gobin-lint" go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$GOLANGCI_LINT_VERSION"
		mv "$cache/gobin-lint/golangci-lint" "$lint"
	fi
	"$lint" run --allow-parallel-runners ./...

	step "goreleaser $GORELEASER_VERSION check"
	goreleaser="$bin/goreleaser-$GORELEASER_VERSION"
	if [[ ! -x "$goreleaser" ]]; then
		GOBIN="$cache/gobin-goreleaser" go install "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION"
		mv "$cache/gobin-goreleaser/goreleaser" "$goreleaser"
	fi
	"$goreleaser" check
fi

# --- 4. tests ------------------------------------------------------------------
step "go test ./... (timeout $TEST_TIMEOUT)"
# The race detector costs several times the CPU; on two cores it runs on the
# packages whose tests stay cheap under it (about a minute together), the
# long simulator-driven suites (rdssim, rehearsal, e2e, pulumitest, bench)
# run without it.
race_re='/(internal/(config|cli)|engine|runbooks|plain|clock|awsclient|tui)$'
mapfile -t race_pkgs < <(go list ./... | grep -E "$race_re")
mapfile -t other_pkgs < <(go list ./... | grep -vE "$race_re")
# Both runs go to the end, so every package's summary line is printed.
failed=0
go test -race -timeout "$TEST_TIMEOUT" "${race_pkgs[@]}" || failed=1
go test -timeout "$TEST_TIMEOUT" "${other_pkgs[@]}" || failed=1
if ((failed)); then
	step "go test FAILED (see the FAIL lines above)"
	exit 1
fi

step "all checks passed"
