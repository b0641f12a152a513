#!/usr/bin/env bash
# A real single-node Slurm cluster on this machine, running SteerLens's fleet job files (make test, .ci/run).
#
#   Tests/Cluster/slurm.sh [BUILD_DIR]     (default .build/debug: steerlens and steerlens-datagen)
#
# CLIPS (default 6) clips of CLIP_SECONDS (default 2) to CLIP_SECONDS+2 seconds, 320×180 at 30 fps.
# Installs slurm-wlm and munge when missing (idempotent; root or sudo), writes a munge key and a
# slurm.conf for this host (2 CPUs) in a scratch folder, starts munged, slurmctld and slurmd there, and:
#  1. renders CLIPS clips with steerlens-datagen and runs the manifest in one process (the reference);
#  2. submits deploy/slurm/steerlens-array.sbatch (2 array tasks + the dependent merge job), waits, and
#     checks the merge job passed and every clip's frames.csv equals the reference;
#  3. submits again into a fresh OUT and cancels array task 1 (`scancel`) mid-clip: the dependent merge
#     job must exit 66 naming the missing clips; re-submits task 1 alone and SIGKILLs it mid-clip: merge
#     must report the half-written clip; re-submits it again: the fleet must be complete, each clip
#     once, identical to the reference, with nothing left behind;
#  4. prints the figures the README quotes (clips, frames, wall times, per-task startup overhead).
# The daemons are stopped (by their pid files) when the script exits, however it exits.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$repo/.build/debug}" && pwd)
steerlens=$build/steerlens datagen=$build/steerlens-datagen
model=$repo/Datasets/models/pilotnet-demo.h5
clips=${CLIPS:-6}
port=${SLURM_TEST_PORT:-16817}
sudo=$([ "$(id -u)" = 0 ] || echo sudo)
[ -x "$steerlens" ] && [ -x "$datagen" ] || { echo "slurm.sh: build first: no $steerlens or $datagen" >&2; exit 66; }

missing=$(for p in slurm-wlm munge; do dpkg-query -W -f='${Status}\n' $p 2>/dev/null | grep -q 'install ok installed' || echo $p; done)
if [ -n "$missing" ]; then
    echo "slurm.sh: installing" $missing
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
fi

work=$(mktemp -d /tmp/steerlens-slurm.XXXXXX)
chmod 755 "$work"
host=$(hostname -s)
stop() {
    local status=$?
    for daemon in slurmd slurmctld munged; do
        [ -f "$work/$daemon.pid" ] && $sudo kill "$(cat "$work/$daemon.pid")" 2>/dev/null || true
    done
    sleep 1
    # Logs and results are kept for a failed run only (about 50 MB a run).
    if [ "$status" = 0 ]; then
        $sudo rm -rf "$work"
        echo "slurm.sh: daemons stopped; $work removed"
    else
        echo "slurm.sh: daemons stopped; logs and results in $work"
    fi
}
trap stop EXIT
now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
fail() { echo "slurm.sh: FAIL: $*" >&2; exit 1; }

# --- the cluster --------------------------------------------------------------------------------
mkdir -m 700 "$work/munge"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
$sudo munged --force --key-file="$work/munge/munge.key" --socket="$work/munge/munge.socket" \
    --pid-file="$work/munged.pid" --log-file="$work/munged.log" --seed-file="$work/munge/munge.seed"
mkdir -p "$work/state" "$work/spool"
cat > "$work/slurm.conf" <<CONF
ClusterName=steerlens-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/munge.socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
KillWait=5
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf
$sudo env SLURM_CONF="$SLURM_CONF" slurmctld -f "$SLURM_CONF"
$sudo env SLURM_CONF="$SLURM_CONF" slurmd -f "$SLURM_CONF"
for _ in $(seq 1 60); do
    [ "$(sinfo -h -n "$host" -o %t 2>/dev/null)" = idle ] && break
    sleep 1
done
[ "$(sinfo -h -n "$host" -o %t)" = idle ] || fail "the node never became idle: $(sinfo 2>&1; tail -5 "$work/slurmd.log")"
echo "slurm.sh: cluster up: $(sinfo -h -o '%P %D node(s) %c CPUs %t')"

# --- the fleet ----------------------------------------------------------------------------------
mkdir -p "$work/data"
: > "$work/data/manifest.csv"
for seed in $(seq 1 "$clips"); do
    seconds=$(( ${CLIP_SECONDS:-2} + seed % 3 ))
    "$datagen" clip --seed "$seed" --seconds "$seconds" --width 320 --height 180 --masks-every 0 --out "$work/data/drive$seed" >/dev/null
    echo "drive$seed/drive.mp4,drive$seed/labels.csv,drive$seed" >> "$work/data/manifest.csv"
done
options=(--model "$model" --png-every 15 --quiet)
frames=$(for seed in $(seq 1 "$clips"); do "$steerlens" probe "$work/data/drive$seed/drive.mp4" | awk '/^frames:/ { print $2 }'; done | awk '{ s += $1 } END { print s }')
echo "slurm.sh: $clips clips, $frames frames"

start=$(now)
"$steerlens" analyze --manifest "$work/data/manifest.csv" --out "$work/single" "${options[@]}" 2>/dev/null >/dev/null
single_wall=$(seconds "$start" "$(now)")

# Waits until no job or task of $1 is pending or running.
wait_for() { while squeue -h -j "$1" 2>/dev/null | grep -q .; do sleep 0.5; done; }
exit_code() { scontrol show job "$1" | grep -o ' ExitCode=[0-9]*' | head -1 | cut -d= -f2; }
submit() { # OUT → "array merge"
    (cd "$work" && STEERLENS="$steerlens" STEERLENS_SBATCH_ARGS="--cpus-per-task=1 --chdir=$work" \
        "$repo/deploy/slurm/steerlens-array.sbatch" 2 analyze "$work/data/manifest.csv" "$1" "${options[@]}")
}
same_as_single() { # OUT: every clip once, complete, equal to the single-process run
    local out=$1
    [ "$(ls -A "$out/clips" | sort | tr '\n' ' ')" = "$(ls -A "$work/single/clips" | sort | tr '\n' ' ')" ] \
        || fail "$out/clips holds $(ls -A "$out/clips" | tr '\n' ' ') instead of $(ls -A "$work/single/clips" | tr '\n' ' ')"
    for clip in "$work"/single/clips/*; do
        id=$(basename "$clip")
        cmp -s "$clip/frames.csv" "$out/clips/$id/frames.csv" || fail "$id: frames.csv differs from the single-process run"
        [ "$(cd "$clip" && find . -type f | sort)" = "$(cd "$out/clips/$id" && find . -type f | sort)" ] || fail "$id: other files than the single-process run"
    done
}

start=$(now)
read -r array merge < <(submit "$work/fleet")
wait_for "$array"; array_wall=$(seconds "$start" "$(now)")
wait_for "$merge"; slurm_wall=$(seconds "$start" "$(now)")
[ "$(exit_code "$merge")" = 0 ] || fail "merge job $merge exited $(exit_code "$merge"): $(cat "$work"/steerlens-merge-"$merge".out)"
same_as_single "$work/fleet"
grep -q '"complete" : true' "$work/fleet/fleet.json" || fail "fleet.json is not complete"
echo "slurm.sh: array $array + merge $merge: pass, identical to the single-process run"

# Per-task startup: a worker whose clips are all complete only loads and hashes the model, probes
# the manifest's clips for the shard table and reads the completion records.
start=$(now)
"$steerlens" analyze --manifest "$work/data/manifest.csv" --out "$work/fleet" --shard 0/2 "${options[@]}" 2>/dev/null >/dev/null
overhead=$(seconds "$start" "$(now)")

# --- kill one task mid-clip, resume it --------------------------------------------------------------
# The work folder (.<id>.work-<host>-<pid>-<random>) that array task $2 is writing in OUT $1, if any.
task_work() {
    local name pid
    for name in $(ls -A "$1/clips" 2>/dev/null | grep '\.work-' || true); do
        pid=$(echo "$name" | awk -F- '{ print $(NF-1) }')
        tr '\0' '\n' 2>/dev/null < "/proc/$pid/environ" | grep -qx "SLURM_ARRAY_TASK_ID=$2" && { echo "$name"; return; }
    done
    return 0
}
wait_work() { # OUT TASK → waits until the task is mid-clip, prints its work folder
    local name=""
    for _ in $(seq 1 1200); do
        name=$(task_work "$1" "$2")
        [ -n "$name" ] && { sleep 0.3; echo "$name"; return; }
        sleep 0.1
    done
    fail "array task $2 never started a clip in $1"
}
resubmit() { # OUT → the job id of array task 1 alone
    (cd "$work" && sbatch --parsable --cpus-per-task=1 --chdir="$work" --array=1 \
        --export=ALL,STEERLENS_SHARDS=2,STEERLENS="$steerlens" "$repo/deploy/slurm/steerlens-array.sbatch" \
        analyze "$work/data/manifest.csv" "$1" "${options[@]}") | cut -d';' -f1
}

# (a) scancel, as a scheduler pre-empts: SIGTERM, SteerLens drops the clip in progress and exits 130.
read -r array merge < <(submit "$work/resume")
log="$work/steerlens-${array}_1.out"
for _ in $(seq 1 1200); do grep -q 'shard 1/2: \[1/' "$log" 2>/dev/null && break; sleep 0.1; done
killed=$(wait_work "$work/resume" 1)
scancel "${array}_1"
wait_for "$array"; wait_for "$merge"
[ "$(exit_code "$merge")" = 66 ] || fail "merge after scancel exited $(exit_code "$merge"), not 66: $(cat "$work"/steerlens-merge-"$merge".out)"
grep -q "^missing: ${killed#.}" "$work/steerlens-merge-$merge.out" 2>/dev/null || grep -q '^missing: ' "$work/steerlens-merge-$merge.out" \
    || fail "merge did not name the unfinished clips: $(cat "$work/steerlens-merge-$merge.out")"
echo "slurm.sh: scancel ${array}_1 while in $killed: merge job $merge exit 66, $(grep -c '^missing: ' "$work/steerlens-merge-$merge.out") clips missing"

# (b) a hard kill of the re-submitted task mid-clip (SIGKILL: an OOM kill, a lost node) leaves a
# half-written clip; merge names it; the next re-submission cleans it up and redoes it.
job=$(resubmit "$work/resume")
for attempt in 1 2 3; do
    killed=$(wait_work "$work/resume" 1)
    kill -KILL "$(echo "$killed" | awk -F- '{ print $(NF-1) }')" 2>/dev/null && break
    [ "$attempt" = 3 ] && fail "the clips are too short to catch task 1 mid-clip: raise CLIP_SECONDS"
done
wait_for "$job"
if "$steerlens" merge "$work/resume" 2>"$work/killed-merge.err"; then fail "merge passed with a half-written clip"; else status=$?; fi
[ "$status" = 66 ] && grep -q "^incomplete: .*half-written: clips/$killed" "$work/killed-merge.err" \
    || fail "merge did not report the half-written clip $killed (exit $status): $(cat "$work/killed-merge.err")"
echo "slurm.sh: kill -9 of job $job in $killed: merge exit 66, reports it half-written"
job=$(resubmit "$work/resume")
wait_for "$job"
grep -q 'already complete' "$work/steerlens-${job}_1.out" "$work/steerlens-${job}.out" 2>/dev/null || fail "the re-submitted task did not skip its finished clip"
"$steerlens" merge "$work/resume" 2>"$work/resume-merge.err" || fail "merge after the resume: $(cat "$work/resume-merge.err")"
same_as_single "$work/resume"
[ "$(ls -A "$work/resume/clips" | grep -c '^\.' || true)" = 0 ] || fail "litter left: $(ls -A "$work/resume/clips")"
echo "slurm.sh: re-submitted task $job: $(cat "$work"/steerlens-"$job"*.out | grep -o '[0-9]* done, [0-9]* already complete'); fleet complete, each clip once, identical"

echo "slurm.sh: figures: clips=$clips frames=$frames single_process_s=$single_wall slurm_array_s=$array_wall slurm_with_merge_s=$slurm_wall task_startup_s=$overhead"
echo "slurm.sh: PASS"
