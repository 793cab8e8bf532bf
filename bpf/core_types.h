/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core_types.h - the few kernel types filemond's BPF programs touch, as
 * CO-RE definitions.  libbpf relocates every field access against the
 * running kernel's BTF at load time, so these need only name the fields we
 * use, not match any kernel's layout; the build never needs the build
 * machine's own /sys/kernel/btf/vmlinux.  x86_64 only (struct pt_regs).
 */
#ifndef FILEMOND_CORE_TYPES_H
#define FILEMOND_CORE_TYPES_H

typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
typedef int pid_t;
enum { false = 0, true = 1 };

/* Map types and flags used with libbpf's map definitions (UAPI values). */
enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_CGROUP_ARRAY = 8,
	BPF_MAP_TYPE_RINGBUF = 27,
};
enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_RB_NO_WAKEUP = 1,
	BPF_RB_FORCE_WAKEUP = 2,
	BPF_RB_AVAIL_DATA = 0,
	BPF_F_NO_PREALLOC = 1,
};

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct pt_regs {
	unsigned long r8;
	unsigned long r10;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
};

struct qstr {
	union {
		struct {
			__u32 hash;
			__u32 len;
		};
		__u64 hash_len;
	};
	const unsigned char *name;
};

struct seqcount {
	unsigned int sequence;
};

struct seqcount_spinlock {
	struct seqcount seqcount;
};

struct hlist_bl_node {
	struct hlist_bl_node *next, **pprev;
};

struct dentry {
	struct seqcount_spinlock d_seq; /* odd, or changed: a rename is moving d_name */
	struct hlist_bl_node d_hash; /* pprev NULL: unhashed (an O_TMPFILE file's is never hashed) */
	struct dentry *d_parent;
	struct qstr d_name;
};

struct vfsmount {
	struct dentry *mnt_root;
};

struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

struct file {
	struct path f_path;
	unsigned int f_mode; /* fmode_t */
};

struct fs_struct {
	struct path root;
	struct path pwd;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

typedef struct {
	int counter;
} atomic_t;

struct signal_struct {
	atomic_t live; /* threads not yet exiting: 0 in the exit hook of the last (before 6.16) */
	unsigned int flags;
	int group_exit_code;
};

typedef struct {
	unsigned int val;
} kuid_t;
typedef struct {
	unsigned int val;
} kgid_t;
struct cred {
	kuid_t euid;
	kgid_t egid;
};
struct mm_struct {
	unsigned long arg_start, arg_end;
};
struct pid_namespace;
struct upid {
	int nr;
	struct pid_namespace *ns;
};

struct pid {
	unsigned int level; /* 0: the initial pid namespace */
	struct upid numbers[1]; /* [level + 1] in the kernel */
};

struct task_struct {
	pid_t pid;
	pid_t tgid;
	int exit_code;
	struct task_struct *group_leader;
	struct task_struct *real_parent;
	struct signal_struct *signal;
	struct fs_struct *fs;
	struct files_struct *files;
	struct mm_struct *mm;
	const struct cred *cred;
	__u64 start_boottime;
	kuid_t loginuid; /* CONFIG_AUDIT (Debian: yes) */
	unsigned int sessionid;
	struct pid *thread_pid;
};

struct linux_binprm {
	unsigned int secureexec: 1; /* setuid, setgid, file capabilities, LSM transition */
	struct file *file;
	const char *filename;
	const char *interp;
};

#pragma clang attribute pop

/* include/linux/sched/signal.h: the group is exiting with group_exit_code. */
#define SIGNAL_GROUP_EXIT 0x00000004
/* include/linux/fs.h: f_mode bit of a file this open created (4.19+; bit 20 through 6.18) */
#define FMODE_CREATED 0x100000

#endif /* FILEMOND_CORE_TYPES_H */
