#!/bin/bash
# -p/--comm, -u/--user and --pid let through only what they should, in the kernel.
. "$(dirname "$0")/../lib.sh"
need_bpf

write_config "$T/cfg.yaml" "monitors:" "  exec: {}"
nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

# --comm: the name of the program after the exec.
mon_start "$T/comm.json" "$T/comm.err" -c "$T/cfg.yaml" -p true,sleep || bail "no start"
/bin/true comm-$$
/bin/echo comm-$$ > /dev/null
/bin/sleep 0
mon_stop
is "$(jq -r 'select(.argv[1]? == "comm-'$$'") | .comm' "$T/comm.json" | sort | tr '\n' ' ')" "true " \
	"-p true,sleep: true is seen, echo is not"
is "$(jq -r 'select(.argv == ["/bin/sleep","0"]) | .comm' "$T/comm.json")" sleep "-p true,sleep: sleep is seen"
is "$(jq -r '.comm' "$T/comm.json" | sort -u | tr '\n' ' ')" "sleep true " "-p: nothing else gets through"
like "$(cat "$T/comm.err")" 'exit: exec: [0-9]+ events, 0 lost, [1-9][0-9]* filtered' \
	"-p: filtered events are counted"

# --user: names and uids.
mon_start "$T/user.json" "$T/user.err" -c "$T/cfg.yaml" -u nobody || bail "no start"
nobody /bin/true user-nobody-$$
/bin/true user-root-$$
mon_stop
is "$(jq -r 'select(.argv[1]? // "" | startswith("user-")) | [.argv[1], .uid, .user] | @tsv' "$T/user.json")" \
	"$(printf 'user-nobody-%s\t65534\tnobody' $$)" "-u nobody: only nobody's exec, with uid and user name"

mon_start "$T/uid.json" "$T/uid.err" -c "$T/cfg.yaml" --user 0 || bail "no start"
nobody /bin/true uid-nobody-$$
/bin/true uid-root-$$
mon_stop
is "$(jq -r 'select(.argv[1]? // "" | startswith("uid-")) | .argv[1]' "$T/uid.json")" "uid-root-$$" \
	"-u 0: only root's exec"

# --pid: a process that execs when told to, and one that is not it.
mkfifo "$T/go"
bash -c 'read -r _ < "$1"; exec /bin/true pid-match' _ "$T/go" &
target=$!
mon_start "$T/pid.json" "$T/pid.err" -c "$T/cfg.yaml" --pid "$target" || bail "no start"
/bin/true pid-other-$$
echo go > "$T/go"
wait $target
mon_stop
is "$(jq -r '[.pid, .argv[1]] | @tsv' "$T/pid.json")" "$(printf '%s\tpid-match' "$target")" \
	"--pid: only the exec of that process"

# The config file's filters do the same; the command line overrides them.
write_config "$T/cfgf.yaml" "filters:" "  comm: [sleep]" "monitors:" "  exec: {}"
mon_start "$T/cf.json" "$T/cf.err" -c "$T/cfgf.yaml" || bail "no start"
/bin/true cfg-$$
/bin/sleep 0
mon_stop
is "$(jq -r .comm "$T/cf.json" | sort -u | tr '\n' ' ')" "sleep " "filters.comm in the config"
mon_start "$T/cf2.json" "$T/cf2.err" -c "$T/cfgf.yaml" -p true || bail "no start"
/bin/true cfg2-$$
/bin/sleep 0
mon_stop
is "$(jq -r .comm "$T/cf2.json" | sort -u | tr '\n' ' ')" "true " "-p overrides filters.comm"

done_testing
