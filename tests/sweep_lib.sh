# Shell helpers of the sweep tests (sourced; needs $check and a fail function).

# wait_done FILE N: until N runs of FILE are done (at most a minute).
wait_done() {
    for _ in $(seq 600); do
        [ -f "$1" ] && [ "$($check rows "$1" done 2> /dev/null | wc -w)" -ge "$2" ] && return 0
        sleep 0.1
    done
    fail "$1: never reached $2 done runs"
}

# rank_pid MPIRUN_PID RANK: the pid of that MPI rank of the job (its process is mpirun's child).
rank_pid() {
    for p in $(pgrep -P "$1"); do
        r=$(tr '\0' '\n' < /proc/$p/environ 2> /dev/null | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')
        [ "$r" = "$2" ] && { echo "$p"; return 0; }
    done
    return 1
}
