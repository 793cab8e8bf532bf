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

struct dentry {
	struct seqcount_spinlock d_seq; /* odd, or changed: a rename is moving d_name */
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

struct signal_struct {
	unsigned int flags;
	int group_exit_code;
};

struct task_struct {
	pid_t pid;
	pid_t tgid;
	int exit_code;
	struct task_struct *group_leader;
	struct signal_struct *signal;
	struct fs_struct *fs;
	struct files_struct *files;
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

#endif /* FILEMOND_CORE_TYPES_H */
