/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit.bpf.h - what the audit service adds to every record (audit_mode):
 * the acting task's identity and the time (struct fm_audit), read from the
 * kernel's task and cred at the hook, never from the process's memory; the
 * syscall's result, so failed calls are recorded too; an exec's arguments.
 */
#ifndef FILEMOND_AUDIT_BPF_H
#define FILEMOND_AUDIT_BPF_H

/* The audit's rules on uid and loginuid (src/audit_config.h), applied
 * here so a process they leave out queues nothing. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FM_AUDIT_ID_RULES_MAX);
	__type(key, struct fm_audit_id_rule);
	__type(value, __u8);
} audit_id_rules SEC(".maps");
__u32 audit_id_flags; /* FM_ID_*: what the map holds (set by userspace; a reload changes it) */

static __always_inline int id_listed(__u32 field, __u32 id)
{
	struct fm_audit_id_rule k = { .field = field, .id = id };

	return bpf_map_lookup_elem(&audit_id_rules, &k) != NULL;
}

/* The cgroup rules: the directories of the rules in a cgroup array; a
 * bit per slot says exclude or include. */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, FM_AUDIT_CGROUP_RULES_MAX);
	__type(key, __u32);
	__type(value, __u32);
} audit_cgroups SEC(".maps");
__u32 audit_cgroup_excludes, audit_cgroup_includes; /* slot bits (set by userspace) */

static __always_inline int cgroup_excluded(void)
{
	__u32 ex = audit_cgroup_excludes, in = audit_cgroup_includes;
	int included = 0;

	if (!(ex | in))
		return 0;
#pragma unroll
	for (int i = 0; i < FM_AUDIT_CGROUP_RULES_MAX; i++) {
		if (!((ex | in) & (1U << i)) || bpf_current_task_under_cgroup(&audit_cgroups, i) != 1)
			continue;
		if (ex & (1U << i))
			return 1;
		included = 1;
	}
	return in && !included;
}

static __always_inline int audit_excluded(void)
{
	struct task_struct *p = kcast(bpf_get_current_task_btf(), struct task_struct);
	__u32 flags = audit_id_flags, uid, auid;

	if (cgroup_excluded())
		return 1;
	if (!flags)
		return 0;
	uid = (__u32)bpf_get_current_uid_gid();
	auid = bpf_core_field_exists(p->loginuid) ? KR(p, loginuid.val) : 0xffffffffu;
	if ((flags & FM_ID_EXCLUDES) && (id_listed(FM_EXCLUDE_UID, uid) || id_listed(FM_EXCLUDE_AUID, auid)))
		return 1;
	return ((flags & FM_ID_INCLUDES_UID) && !id_listed(FM_INCLUDE_UID, uid)) ||
	       ((flags & FM_ID_INCLUDES_AUID) && !id_listed(FM_INCLUDE_AUID, auid));
}

/* The process's pid as its own pid namespace numbers it (the leader's
 * struct pid, numbers[level]): one read of a computed address. */
static __always_inline void ns_pid(struct task_struct *p, struct fm_audit *a)
{
	struct pid *pid = KR(p, group_leader, thread_pid);
	unsigned int level = pid ? KR(pid, level) : 0;
	unsigned long at = (unsigned long)pid + bpf_core_field_offset(struct pid, numbers) +
			   (level & 31) * bpf_core_type_size(struct upid) + bpf_core_field_offset(struct upid, nr);
	int nr = 0;

	a->ns_level = level;
	a->ns_pid = pid && level < 32 && bpf_probe_read_kernel(&nr, sizeof(nr), (const void *)at) == 0 ? (__u32)nr : 0;
}

/* The audit segment: first, so record_set_ret finds it at a fixed place. */
static __always_inline void audit_seg(struct fm_event *ev)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct task_struct *p = kcast(task, struct task_struct);
	struct fm_audit *a = (void *)(ev->data + sizeof(struct fm_seg));
	__u64 ug = bpf_get_current_uid_gid();
	const struct cred *cred = KR(p, cred);

	a->seq = 0; /* taken at submit */
	a->time_ns = bpf_ktime_get_boot_ns();
	a->start_ns = KR(p, start_boottime);
	a->cgroup_id = bpf_get_current_cgroup_id();
	a->ret = 0;
	a->tid = (__u32)bpf_get_current_pid_tgid();
	a->ppid = KR(p, real_parent, tgid);
	a->uid = (__u32)ug;
	a->gid = ug >> 32;
	a->euid = KR(cred, euid.val);
	a->egid = KR(cred, egid.val);
	a->auid = bpf_core_field_exists(p->loginuid) ? KR(p, loginuid.val) : 0xffffffffu;
	a->sesid = bpf_core_field_exists(p->sessionid) ? KR(p, sessionid) : 0xffffffffu;
	ns_pid(p, a);
	bpf_get_current_comm(a->comm, sizeof(a->comm));
	seg_end(ev, FM_SEG_AUDIT, sizeof(*a), 0);
}

/* The call's result, for the audit (and FM_EV_FAILED if it failed). */
static __always_inline void record_set_ret(struct fm_event *ev, long ret)
{
	if (!(ev->flags & FM_EV_AUDIT))
		return;
	event_audit(ev)->ret = ret;
	if (ret < 0)
		ev->flags |= FM_EV_FAILED;
}

/* An exec's argument list, from the new image's stack (as the caller
 * passed it: the process could rewrite it, see docs/AUDIT.md), cut at
 * FM_ARGV_MAX and then flagged. */
static __always_inline void seg_argv(struct fm_event *ev, struct task_struct *p)
{
	struct mm_struct *mm = KR(p, mm);
	unsigned long start = KR(mm, arg_start), end = KR(mm, arg_end);
	long at = seg_begin(ev);
	__u32 n, flags = 0;

	if (at < 0 || end <= start)
		return;
	n = end - start;
	if (n > FM_ARGV_MAX) {
		n = FM_ARGV_MAX;
		flags = FM_SEG_TRUNCATED;
	}
	if (bpf_probe_read_user(ev->data + (at & FM_DATA_MASK), n & (2 * FM_ARGV_MAX - 1), (void *)start))
		seg_end(ev, FM_SEG_ARGV, 0, FM_SEG_UNREADABLE);
	else
		seg_end(ev, FM_SEG_ARGV, n, flags);
}

#endif /* FILEMOND_AUDIT_BPF_H */
