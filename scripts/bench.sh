#!/usr/bin/env bash
# bench.sh — runs the built datalayer binary side by side with the AWS CLI v2
# against one running `datalayer sim`, and prints the figures BENCHMARKS.md
# quotes: binary size, start-up (version, status vs aws rds
# describe-db-instances, interleaved so both see the same machine load), the
# TUI's first frame on a pseudo-terminal, and peak RSS and wall time of whole
# rehearsals (restore by each method, deploy).
#
# Usage: scripts/bench.sh [ROUNDS]     (default 20 rounds; needs go, python3,
# /usr/bin/aws and /usr/bin/time; hyperfine is used too when installed)
# Output: a summary on stdout; raw data under $BENCH_OUT (default a temp dir).
set -euo pipefail

ROUNDS=${1:-20}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${BENCH_OUT:-$(mktemp -d /tmp/datalayer-bench.XXXXXX)}
mkdir -p "$OUT"
BIN="$OUT/datalayer"
AWSCLI=/usr/bin/aws
SPEED=${BENCH_SPEED:-600}

for tool in go python3 /usr/bin/time "$AWSCLI"; do
  command -v "$tool" >/dev/null || { echo "bench.sh: $tool is missing (apt-get install awscli time python3)" >&2; exit 2; }
done

# Go's caches stay where they are, whatever HOME is set to below.
GOPATH=$(go env GOPATH) GOMODCACHE=$(go env GOMODCACHE) GOCACHE=$(go env GOCACHE)
export GOPATH GOMODCACHE GOCACHE

echo "# datalayer benchmarks — $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "go: $(go version | cut -d' ' -f3), aws: $($AWSCLI --version 2>&1 | cut -d' ' -f1)"
echo "raw data: $OUT"
echo

# --- binary size -------------------------------------------------------------
# The working tree is built; when it does not compile (others mid-edit in a
# shared checkout) the last commit is built instead, from `git archive`.
SRC=$ROOT
if ! (cd "$SRC" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$BIN" . 2>"$OUT/build.err"); then
  SRC="$OUT/src"
  rm -rf "$SRC" && mkdir -p "$SRC"
  git -C "$ROOT" archive HEAD | tar -x -C "$SRC"
  echo "working tree does not build ($(head -1 "$OUT/build.err")); building commit $(git -C "$ROOT" rev-parse --short HEAD)"
  (cd "$SRC" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$BIN" .)
fi
(cd "$SRC" && CGO_ENABLED=0 go build -trimpath -o "$OUT/datalayer-debug" .)
(cd "$SRC" && go test -c -o "$OUT/bench.test" ./bench/)
echo "built: $("$BIN" version 2>&1 | head -1)"
size_stripped=$(stat -c %s "$BIN")
size_full=$(stat -c %s "$OUT/datalayer-debug")
printf 'binary size: %.1f MB with -s -w (%.1f MB without)\n\n' "$(echo "$size_stripped/1048576" | bc -l)" "$(echo "$size_full/1048576" | bc -l)"

# --- isolated environment ----------------------------------------------------
export HOME="$OUT/home" XDG_CONFIG_HOME="$OUT/config" XDG_STATE_HOME="$OUT/state" DATALAYER_STATE_DIR="$OUT/state/datalayer"
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$DATALAYER_STATE_DIR"
export AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=secret AWS_REGION=eu-west-2 AWS_DEFAULT_REGION=eu-west-2
export AWS_CONFIG_FILE="$OUT/none" AWS_SHARED_CREDENTIALS_FILE="$OUT/none" AWS_PAGER="" NO_COLOR=1

# --- one simulator for everything -------------------------------------------
"$BIN" sim --addr 127.0.0.1:0 >"$OUT/sim.log" 2>&1 &
SIM_PID=$!
trap 'kill "$SIM_PID" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  URL=$(grep -o 'http://127.0.0.1:[0-9]*' "$OUT/sim.log" | head -1 || true)
  [ -n "$URL" ] && break
  sleep 0.1
done
[ -n "${URL:-}" ] || { echo "bench.sh: datalayer sim did not start: $(cat "$OUT/sim.log")" >&2; exit 1; }
export AWS_ENDPOINT_URL="$URL"
echo "simulator: $URL (pid $SIM_PID)"

# Both must succeed before anything is timed.
"$BIN" status >"$OUT/status.txt"
"$AWSCLI" --endpoint-url "$URL" rds describe-db-instances >"$OUT/describe.json"

# --- start-up, interleaved ---------------------------------------------------
# Each round runs every command once, in turn, so a burst of load on the
# shared machine hits all of them alike; the ratio is taken per round.
ns() { date +%s%N; }
timeit() { local s e; s=$(ns); "$@" >/dev/null 2>&1; e=$(ns); echo $(((e - s) / 1000)); }
: >"$OUT/startup.tsv"
for r in $(seq "$ROUNDS"); do
  v=$(timeit "$BIN" version)
  s=$(timeit "$BIN" status)
  a=$(timeit "$AWSCLI" --endpoint-url "$URL" rds describe-db-instances)
  av=$(timeit "$AWSCLI" --version)
  printf '%s\t%s\t%s\t%s\t%s\n' "$r" "$v" "$s" "$a" "$av" >>"$OUT/startup.tsv"
done
python3 - "$OUT/startup.tsv" <<'PY'
import statistics, sys
rows = [list(map(int, l.split()))[1:] for l in open(sys.argv[1])]
cols = list(zip(*rows))
names = ["datalayer version", "datalayer status", "aws rds describe-db-instances", "aws --version"]
def p95(xs):
    xs = sorted(xs); return xs[max(0, -(-95 * len(xs) // 100) - 1)]
print(f"start-up over {len(rows)} interleaved rounds (ms: median / p95 / min):")
for n, c in zip(names, cols):
    print(f"  {n:32s} {statistics.median(c)/1000:8.1f} {p95(c)/1000:8.1f} {min(c)/1000:8.1f}")
ratios = [a / s for s, a in zip(cols[1], cols[2])]
print(f"  status speed-up vs AWS CLI: median {statistics.median(ratios):.1f}x, worst round {min(ratios):.1f}x (target >= 5x)")
PY
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 2 --runs "$ROUNDS" --export-json "$OUT/hyperfine.json" \
    "$BIN version" "$BIN status" "$AWSCLI --endpoint-url $URL rds describe-db-instances" >"$OUT/hyperfine.txt" 2>&1 || true
  python3 - "$OUT/hyperfine.json" <<'PY' || true
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print("hyperfine (sequential, not interleaved): " + "; ".join(f"{x['command'].split('/')[-1][:40]}: median {x['median']*1000:.1f} ms" for x in r))
PY
fi
echo

# --- first frame ---------------------------------------------------------------
# Time from exec to the first visible character on a pseudo-terminal (escape
# sequences alone do not count); a TUI is then interrupted. The harness
# answers the terminal queries a real terminal answers (background colour
# OSC 11, cursor position, device attributes) at once; it also measures a
# terminal that never answers, which is what a program sees under some
# multiplexers and CI runners.
python3 - "$BIN" "$SPEED" "$ROUNDS" <<'PY'
import os, pty, re, select, signal, statistics, sys, time
binary, speed, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
esc = re.compile(rb"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][A-Za-z0-9]|[=>78])")
answers = [(b"\x1b]11;?", b"\x1b]11;rgb:0000/0000/0000\x1b\\"), (b"\x1b]10;?", b"\x1b]10;rgb:ffff/ffff/ffff\x1b\\"),
           (b"\x1b[6n", b"\x1b[1;1R"), (b"\x1b[c", b"\x1b[?62;22c"), (b"\x1b[0c", b"\x1b[?62;22c")]
def first_frame(argv, answer):
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execv(argv[0], argv)
    buf, seen, status = b"", None, None
    deadline = t0 + 15
    while time.perf_counter() < deadline:
        r, _, _ = select.select([fd], [], [], 0.02)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            if answer:
                for q, a in answers:
                    if q in chunk:
                        os.write(fd, a)
            if seen is None and esc.sub(b"", buf).strip():
                seen = time.perf_counter() - t0
                break
        wpid, st = os.waitpid(pid, os.WNOHANG)
        if wpid:
            status = st
            break
    alive = status is None and os.waitpid(pid, os.WNOHANG)[0] == 0
    if alive:
        os.kill(pid, signal.SIGINT); time.sleep(0.2)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    os.close(fd)
    return seen, alive, esc.sub(b"", buf)[:200]
cases = [("datalayer version", [binary, "version"], True),
         ("datalayer rehearse restore (TUI)", [binary, "rehearse", "restore", "--speed", speed], True),
         ("datalayer version, silent terminal", [binary, "version"], False)]
for label, argv, answer in cases:
    times, note = [], ""
    for _ in range(max(3, rounds // 2) if answer else 2):
        t, alive, text = first_frame(argv, answer)
        if t is None:
            note = "no output"
            break
        if "rehearse" in label and not alive:
            note = "the program exited at once instead of drawing a TUI: " + text.decode(errors="replace").strip()[:120]
            break
        times.append(t)
    if times and not note:
        print(f"first frame, {label}: median {statistics.median(times)*1000:.1f} ms, min {min(times)*1000:.1f} ms, max {max(times)*1000:.1f} ms over {len(times)} runs (target < 100 ms)")
    else:
        print(f"first frame, {label}: NOT MEASURED — {note}")
PY
echo

# --- whole rehearsals: wall time and peak RSS ----------------------------------
run_rehearsal() {
  local name=$1; shift
  local log="$OUT/rehearse-$name"
  if /usr/bin/time -v -o "$log.time" "$BIN" rehearse "$@" --plain --yes --speed "$SPEED" >"$log.out" 2>"$log.err"; then
    local rss wall
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log.time")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log.time")
    printf '  %-18s wall %s, peak RSS %.1f MB (target < 100 MB)\n' "$name" "$wall" "$(echo "$rss/1024" | bc -l)"
  else
    printf '  %-18s FAILED (exit %s): %s\n' "$name" "$?" "$(tail -2 "$log.err" | tr '\n' ' ' | cut -c1-160)"
  fi
}
echo "rehearsals at --speed $SPEED (--plain --yes):"
run_rehearsal restore-pulumi restore --method pulumi --lost whole
run_rehearsal restore-console restore --method console --lost whole
run_rehearsal deploy deploy
echo "journals: $DATALAYER_STATE_DIR (per-step overhead: go test -run '^\$' -bench RunOverhead ./bench/)"
echo

# The same runs in-process, one per process, through the bench package's test
# binary (the rehearsal package's world and engine, no terminal): a peak RSS
# that does not depend on the command line being wired.
echo "rehearsals in the bench test binary (one run per process, speed 60):"
for c in restore-pulumi restore-console deploy; do
  if /usr/bin/time -v -o "$OUT/inproc-$c.time" "$OUT/bench.test" -test.run '^$' -test.bench "RunOverhead/$c/speed=60\$" -test.benchtime 1x >"$OUT/inproc-$c.out" 2>&1; then
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$OUT/inproc-$c.time")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$OUT/inproc-$c.time")
    printf '  %-18s wall %s, peak RSS %.1f MB (target < 100 MB)\n' "$c" "$wall" "$(echo "$rss/1024" | bc -l)"
  else
    printf '  %-18s FAILED: %s\n' "$c" "$(grep -m1 -E 'panic|FAIL|failed' "$OUT/inproc-$c.out" | cut -c1-160)"
  fi
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
