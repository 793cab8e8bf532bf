# strace_view.awk - what filemond should log, derived from strace alone.
# Input: strace -f -y -qq output (pids on each line); -v cwd=<start dir>.
# Output: "L path" lines (no pids): for every successful open, R/W of the
# name as passed (made absolute against the caller's cwd, "." folded, ".."
# kept) and of the file reached (strace -y), if that differs; for every
# successful exec, E of the name and of its realpath if that differs; for a
# script, whose first line "#!interp" the model reads from the file itself,
# E of the name, of interp and of the file the kernel ran (interp's
# realpath), each once.
# Give the file twice: the first pass only learns each child's parent, as
# a child's first calls can be printed before its parent's clone returns
# (a slow machine); the child then starts in its parent's cwd, which cannot
# change while the parent waits in clone.

function fold(p,    n, i, parts, out) {
	n = split(p, parts, "/")
	out = ""
	for (i = 1; i <= n; i++)
		if (parts[i] != "" && parts[i] != ".")
			out = out "/" parts[i]
	return out == "" ? "/" : out
}
function absolute(pid, name) {
	return substr(name, 1, 1) == "/" ? fold(name) : fold(cwd_of[pid] "/" name)
}
function emit(letters, named, resolved,    i) {
	for (i = 1; i <= length(letters); i++) {
		print substr(letters, i, 1) " " named
		if (resolved != "" && resolved != named)
			print substr(letters, i, 1) " " resolved
	}
}
function realpath(p,    cmd, r) {
	cmd = "realpath -- \"" p "\""; r = ""; cmd | getline r; close(cmd)
	return r
}
function quoted_arg(s, k,    i, rest) {
	rest = s
	for (i = 1; i < k; i++) { sub(/^[^"]*"[^"]*"/, "", rest) }
	sub(/^[^"]*"/, "", rest); sub(/".*/, "", rest)
	return rest
}
FNR == 1 { delete pending; last_unfinished = "" }
{
	line = $0
	# Join a call strace split in two.  Its second half is "<... x resumed>"
	# after the pid, or, with -e status=, a bare ")   = ret" line of the
	# last call left unfinished.
	if (line !~ /^[0-9]+ /) {
		pid = last_unfinished
		sub(/^\) +/, ") ", line)
		line = pending[pid] line
	} else {
		pid = $1
		sub(/^[0-9]+ +/, "", line)
	}
	if (line ~ /<unfinished \.\.\.>$/) {
		sub(/ <unfinished \.\.\.>$/, "", line); pending[pid] = line; last_unfinished = pid; next
	}
	if (line ~ /^<\.\.\. [a-z0-9_]+ resumed>/) { sub(/^<\.\.\. [a-z0-9_]+ resumed>/, "", line); line = pending[pid] line }
	if (line ~ /^(clone|clone3|fork|vfork)\(/ && line ~ /= [0-9]+$/) {
		child = line; sub(/.*= /, "", child)
		if (FNR == NR) { parent_of[child] = pid; next }
		if (!(child in cwd_of)) cwd_of[child] = cwd_of[pid]
		next
	}
	if (FNR == NR) next
	if (!(pid in cwd_of)) cwd_of[pid] = (pid in parent_of) ? cwd_of[parent_of[pid]] : cwd
	if (line ~ /^chdir\(/ && line ~ /= 0$/) { cwd_of[pid] = absolute(pid, quoted_arg(line, 1)); next }
	if (line ~ /^fchdir\(/ && line ~ /= 0$/) { d = line; sub(/^fchdir\([0-9]+</, "", d); sub(/>.*/, "", d); cwd_of[pid] = d; next }
	if (line ~ /^execve\(/ && line ~ /= 0$/) {
		named = absolute(pid, quoted_arg(line, 1))
		first = ""; getline first < named; close(named)
		if (first ~ /^#!/) {
			interp = first; sub(/^#![ \t]*/, "", interp); sub(/[ \t].*/, "", interp)
			ran = realpath(interp)
			print "E " named
			if (substr(interp, 1, 1) == "/" && interp != named && interp != ran) print "E " interp
			if (ran != named) print "E " ran
		} else {
			emit("E", named, realpath(named))
		}
		next
	}
	if (line ~ /^(open|openat|openat2|creat)\(/ && line ~ /= [0-9]+<.*>$/) {
		resolved = line; sub(/.*= [0-9]+</, "", resolved); sub(/>$/, "", resolved)
		name = quoted_arg(line, 1)
		if (line ~ /^(openat|openat2)\((AT_FDCWD|[0-9]+)</) {   # the dirfd's path, shown by -y
			dir = line; sub(/^[a-z0-9]+\((AT_FDCWD|[0-9]+)</, "", dir); sub(/>.*/, "", dir)
			named = substr(name, 1, 1) == "/" ? fold(name) : fold(dir "/" name)
		} else {
			named = absolute(pid, name)
		}
		if (line ~ /O_RDWR/) letters = "RW"
		else if (line ~ /O_WRONLY/ || line ~ /^creat\(/) letters = "W"
		else letters = "R"
		emit(letters, named, resolved)
	}
}
