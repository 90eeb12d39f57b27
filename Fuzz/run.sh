#!/usr/bin/env bash
# Builds the libFuzzer harnesses and runs each for SECONDS (default 600), JOBS at a time
# (default 2). Seeds come from Tests/CheckpointsTests/Fixtures; corpora grow under
# Fuzz/corpus/<parser>, crashes/timeouts/OOMs land in Fuzz/artifacts/<parser>/, and a
# summary line per parser (executions, new coverage, findings) goes to Fuzz/results.txt.
#
#   bash Fuzz/run.sh                 # every parser, 10 minutes each
#   SECONDS_EACH=60 bash Fuzz/run.sh Pickle Zip
set -euo pipefail
cd "$(dirname "$0")"
EACH=${SECONDS_EACH:-600}
JOBS=${JOBS:-2}
PARSERS=("$@")
[ ${#PARSERS[@]} -eq 0 ] && PARSERS=(Pickle Zip TorchZip TorchLegacy Safetensors NPY NPZ FlaxMsgpack PicklePytree KerasHDF5 OCDBT)
FIX=../Tests/CheckpointsTests/Fixtures

swift build -c release -Xswiftc -sanitize=fuzzer,address -Xlinker --allow-multiple-definition >&2
BIN=$(swift build -c release -Xswiftc -sanitize=fuzzer,address -Xlinker --allow-multiple-definition --show-bin-path)

seed() {  # parser → seed files copied into corpus/<parser>
    local p=$1 dir=corpus/$1
    mkdir -p "$dir" "artifacts/$p"
    case $p in
        Zip) cp $FIX/*.pt $FIX/*.npz "$dir"/ 2>/dev/null; rm -f "$dir"/legacy.pt ;;
        TorchZip) cp $FIX/*.pt "$dir"/; rm -f "$dir"/legacy.pt ;;
        TorchLegacy) cp $FIX/legacy.pt "$dir"/ ;;
        Safetensors) cp $FIX/*.safetensors "$dir"/ ;;
        NPY) cp $FIX/*.npy "$dir"/ ;;
        NPZ) cp $FIX/*.npz "$dir"/ ;;
        FlaxMsgpack) cp $FIX/*.msgpack "$dir"/ ;;
        PicklePytree) cp $FIX/pytrees/*.pkl $FIX/pytrees/*.pickle $FIX/pytrees/*.p "$dir"/ 2>/dev/null || true ;;
        KerasHDF5) cp $FIX/keras/*.h5 "$dir"/ ;;
        OCDBT)  # the Orbax fixtures' data files (B+tree nodes, values) and, for each database,
                # its manifest followed by its data files (what the harness reads as one input)
            find $FIX/orbax -path '*/d/*' -type f |
                while read -r f; do cp "$f" "$dir/$(echo "${f#$FIX/orbax/}" | tr '/' '_')"; done
            find $FIX/orbax -name manifest.ocdbt | while read -r m; do
                db=$(dirname "$m"); name=$(echo "${db#$FIX/orbax/}" | tr '/' '_')
                cat "$m" "$db"/d/* > "$dir/$name.db" 2>/dev/null || true
            done ;;
        Pickle)  # the data.pkl of every torch fixture and the plain pickles of expected.json
            python3 - "$FIX" "$dir" <<'PY' || cp $FIX/legacy.pt "$dir"/
import json, os, sys, zipfile
fix, out = sys.argv[1:3]
for f in os.listdir(fix):
    if f.endswith(".pt") and zipfile.is_zipfile(os.path.join(fix, f)):
        z = zipfile.ZipFile(os.path.join(fix, f))
        for n in z.namelist():
            if n.endswith(".pkl"):
                open(os.path.join(out, f + "." + n.replace("/", "_")), "wb").write(z.read(n))
for i, p in enumerate(json.load(open(os.path.join(fix, "expected.json")))["__pickles__"]):
    open(os.path.join(out, f"protocol{p['protocol']}.pkl"), "wb").write(bytes.fromhex(p["hex"]))
PY
            ;;
    esac
}

run() {
    local p=$1
    seed "$p"
    ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 "$BIN/fuzz-$p" "corpus/$p" \
        -max_total_time="$EACH" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=65536 \
        -dict=hostile.dict \
        -artifact_prefix="artifacts/$p/" -print_final_stats=1 > "logs/$p.log" 2>&1 || true
    local execs findings
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$p.log" | grep -o '[0-9]*$' || echo "?")
    findings=$(ls "artifacts/$p" | wc -l)
    echo "$(date -u +%FT%TZ) $p: ${EACH}s, $execs executions, $findings findings $(ls artifacts/$p | tr '\n' ' ')" | tee -a results.txt
}

mkdir -p logs
running=0
for p in "${PARSERS[@]}"; do
    run "$p" &
    running=$((running + 1))
    if [ $running -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait
