// SPDX-License-Identifier: BSD-2-Clause
/*
 * device.c - /dev/filemon: FreeBSD's filemon(4) device, served by the
 * daemon's sessions (service.h), with no kernel module.
 *
 * Mechanism, chosen by probing (libfuse3, low-level API, both):
 *   CUSE       a real character device /dev/NAME, when the path is one and
 *              /dev/cuse is there (Debian's kernels build CUSE as a module);
 *              made mode 0666 once the kernel has created it
 *   FUSE file  else: a FUSE file system whose root is a single regular file,
 *              mounted over an empty file at the path, mode 0666 to everybody
 *              (allow_other, default_permissions)
 * Both forward the _IOWR-encoded ioctls with their argument copied in
 * ("restricted" ioctls), which is all filemon needs.
 *
 * The contract, FreeBSD's (filemon(4); ../shared/reference, b.1):
 *   open             a new session with the opener's credentials (FUSE's:
 *                    its fs uid and gid, in the daemon's namespaces)
 *   FILEMON_SET_FD   the caller's fd, taken with pidfd_getfd: the same open
 *                    file description, as FreeBSD's fget.  EEXIST, EBADF
 *                    (not open for writing), EINVAL (no log file type)
 *   FILEMON_SET_PID  detach what the session had, attach pid, synchronously:
 *                    attached when the ioctl returns, so a child that calls
 *                    it on itself and execs is logged from its exec on.
 *                    ESRCH, EPERM (ptrace's rule, access.h), EBUSY
 *   other ioctls     EINVAL
 *   close            bmake reads the log as soon as its close returns.  A
 *                    FUSE file gets FLUSH on every close(2), waited for, and
 *                    RELEASE after the last, not waited for: a FLUSH writes
 *                    out what the session's processes did so far (and the
 *                    loss so far, as a "# lost" comment) and is answered once
 *                    the log holds it, or with the log's write error.
 *                    RELEASE (waited for on CUSE, which sends no FLUSH) ends
 *                    the session, detach and trailer, and is answered once
 *                    the log is written and closed.  On a FUSE file the
 *                    opener's FLUSH ends it already (dev_flush).
 *
 * Requests are served on the daemon's loop thread, a few per pass; a FLUSH
 * or RELEASE waiting for its log is answered from a later pass (libfuse lets a
 * request be answered later), so no log holds up the loop.
 *
 * Lifetime: a handle (fi->fh) lives from OPEN until RELEASE has ended its
 * session and the log's writer is done; FUSE sends no request for a file
 * after its RELEASE, and none is in flight then.
 */
#define FUSE_USE_VERSION 35
#include "device.h"

#include <errno.h>
#include <fcntl.h>
#include <cuse_lowlevel.h>
#include <fuse_lowlevel.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dev/filemon/filemon.h"
#include "log_sink.h"
#include "service.h"
#include "util.h"

/* Requests served per loop pass. */
#define REQUESTS_PER_PASS 16
/* How long a close waits in the loop for its log before it is answered
 * later (a local disk takes tens of microseconds; the next pass is 1 ms). */
#define FLUSH_SPIN_US 500

struct handle {
	struct session sess;
	bool ended; /* the session is closed, its log finishing */
	bool released; /* RELEASE came (or never will): no request refers to it any more */
	int waiting; /* FLUSH or RELEASE requests not answered yet (struct waiting_flush) */
	struct handle *next;
};

/* A FLUSH answered once its log holds what was handed over; a RELEASE
 * once its log is written and closed. */
struct waiting_flush {
	fuse_req_t req;
	struct handle *h;
	bool release;
	long long since_ms;
	struct waiting_flush *next;
};

struct device {
	struct service *svc;
	struct fuse_session *se;
	struct fuse_buf buf;
	int sink_fd;
	long long log_timeout_ms;
	char *path;
	bool cuse; /* a CUSE character device, else a FUSE file */
	bool made; /* we made the file at path: removed at the end */
	bool getfd_warned; /* SET_FD's pidfd_getfd failed as no caller could cause */
	dev_t file_dev;
	ino_t file_ino;
	time_t started;
	char describe[160];
	struct handle *handles;
	struct waiting_flush *flushes;
};

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The thread-group leader of a thread FUSE names (its requests carry the thread's id). */
static pid_t tgid_of(pid_t tid)
{
	char path[40], line[128];
	pid_t tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (!(f = fopen(path, "re")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

static void dev_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct device *dev = fuse_req_userdata(req);
	struct stat st = { .st_ino = ino, .st_mode = S_IFREG | 0666, .st_nlink = 1 };

	(void)fi;
	st.st_atime = st.st_mtime = st.st_ctime = dev->started;
	fuse_reply_attr(req, &st, 3600);
}

static void dev_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct device *dev = fuse_req_userdata(req);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct client_cred cred = { .uid = ctx->uid, .gid = ctx->gid, .privileged = ctx->uid == 0 };
	struct handle *h = calloc(1, sizeof(*h));
	int err;

	(void)ino;
	cred.pid = tgid_of(ctx->pid);
	if (!h || !cred.pid) {
		free(h);
		fuse_reply_err(req, h ? ESRCH : ENOMEM);
		return;
	}
	h->sess.slot = -1;
	if ((err = service_open(dev->svc, &h->sess, &cred))) {
		free(h);
		fuse_reply_err(req, -err);
		return;
	}
	h->next = dev->handles;
	dev->handles = h;
	fi->fh = (uintptr_t)h;
	fi->direct_io = 1;
	fi->nonseekable = 1;
	if (fuse_reply_open(req, fi)) { /* the opener was interrupted: no RELEASE will come */
		h->ended = h->released = true;
		service_close(dev->svc, &h->sess);
	}
}

/* The caller's fd as an fd of ours: the same open file description. */
static int caller_fd(pid_t caller, int fd)
{
	int pidfd = (int)syscall(SYS_pidfd_open, caller, 0), got, err;

	if (pidfd < 0)
		return -ESRCH;
	got = fd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	err = errno;
	close(pidfd);
	if (got >= 0)
		return got;
	return fd < 0 || err == EBADF ? -EBADF : -err;
}

/* A pid as the caller knows it, as the daemon knows it: the same in the
 * same pid namespace; from a namespace of its own, only itself (what
 * bmake passes), else ESRCH. */
static pid_t our_pid(pid_t caller, pid_t pid)
{
	char path[40], line[256], *p;
	struct stat ours, theirs;
	long last = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)caller);
	if (stat("/proc/self/ns/pid", &ours) || stat(path, &theirs) || ours.st_ino == theirs.st_ino)
		return pid;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)caller);
	if (!(f = fopen(path, "re")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "NSpid:", 6) == 0)
			for (p = line + 6; *p;) { /* the last number: the innermost namespace */
				char *end;
				long v = strtol(p, &end, 10);

				if (end == p)
					break;
				last = v;
				p = end;
			}
	fclose(f);
	return last == pid ? caller : 0;
}

static int set_fd(struct device *dev, struct handle *h, pid_t caller, int fd)
{
	int ours = caller_fd(caller, fd), err;

	if (ours < 0 && ours != -EBADF && ours != -ESRCH && !dev->getfd_warned) {
		/* not the caller's doing: the same for every caller, so said once */
		fm_warn("SET_FD: cannot take pid %d's fd %d: %s (a system call filter without "
			"pidfd_getfd, or Yama's ptrace_scope 3?)", (int)caller, fd, strerror(-ours));
		dev->getfd_warned = true;
	}
	if (ours < 0)
		return ours;
	err = service_set_log(dev->svc, &h->sess, ours, dev->sink_fd, false);
	close_off_loop(ours); /* the session keeps its own; the client's file may block a close */
	return err;
}

static int set_pid(struct device *dev, struct handle *h, pid_t caller, pid_t pid)
{
	pid_t target = pid > 0 ? our_pid(caller, pid) : 0;

	return target > 0 ? service_attach(dev->svc, &h->sess, target, false, caller) : -ESRCH;
}

static void dev_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg, struct fuse_file_info *fi,
		      unsigned flags, const void *in, size_t in_size, size_t out_size)
{
	struct device *dev = fuse_req_userdata(req);
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	pid_t caller = tgid_of(fuse_req_ctx(req)->pid);
	int v, err;

	(void)ino;
	(void)arg;
	(void)flags;
	if (cmd != FILEMON_SET_FD && cmd != FILEMON_SET_PID) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (in_size < sizeof(v)) { /* the kernel copies _IOWR's int in: this cannot be */
		fuse_reply_err(req, EFAULT);
		return;
	}
	memcpy(&v, in, sizeof(v));
	if (!caller)
		err = -ESRCH;
	else if (h->ended)
		err = -EBADF;
	else
		err = cmd == FILEMON_SET_FD ? set_fd(dev, h, caller, v) : set_pid(dev, h, caller, v);
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_ioctl(req, 0, &v, out_size < sizeof(v) ? out_size : sizeof(v));
}

/* 0 once h's log holds what was handed over (release: is written and
 * its writer done); the write error; 1: not yet. */
static int flush_state(const struct handle *h, bool release)
{
	int w = session_log_written(&h->sess);

	if (release)
		return session_log_done(&h->sess) ? 0 : 1;
	return w < 0 ? -w : w ? 0 : 1;
}

/* Answer now if the log is quick (a local disk: at once), else later. */
static void answer_when_written(struct device *dev, fuse_req_t req, struct handle *h, bool release)
{
	struct waiting_flush *w;
	int state;

	/* no wait for a handle already waiting: its log is slow */
	for (int us = 0; (state = flush_state(h, release)) == 1 && !h->waiting && us < FLUSH_SPIN_US; us += 50)
		usleep(50);
	if (state != 1 || !(w = calloc(1, sizeof(*w)))) {
		fuse_reply_err(req, state == 1 ? 0 : state);
		return;
	}
	w->req = req;
	w->h = h;
	w->release = release;
	w->since_ms = mono_ms();
	h->waiting++;
	w->next = dev->flushes;
	dev->flushes = w;
}

static void dev_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct device *dev = fuse_req_userdata(req);
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;

	(void)ino;
	service_sync(dev->svc, &h->sess);
	/* A FUSE file cannot tell the last close from another (its RELEASE is
	 * not waited for, and a trailer written after the reader's lseek and
	 * read would move the offset they share): the opener's close ends the
	 * session, as bmake's does, so the trailer is in before it returns. */
	if (!dev->cuse && !h->ended && tgid_of(fuse_req_ctx(req)->pid) == h->sess.cred.pid) {
		h->ended = true;
		service_close(dev->svc, &h->sess);
		answer_when_written(dev, req, h, true);
		return;
	}
	answer_when_written(dev, req, h, false);
}

static void dev_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct device *dev = fuse_req_userdata(req);
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;

	(void)ino;
	h->released = true;
	if (!h->ended) {
		h->ended = true;
		service_close(dev->svc, &h->sess);
	}
	answer_when_written(dev, req, h, true);
}

static void dev_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)ino, (void)size, (void)off, (void)fi;
	fuse_reply_err(req, ENODEV); /* as FreeBSD's filemon: no read or write */
}

static void dev_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	(void)ino, (void)buf, (void)size, (void)off, (void)fi;
	fuse_reply_err(req, ENODEV);
}

/* CUSE's requests carry no inode: the same handlers. */
static void cuse_open(fuse_req_t req, struct fuse_file_info *fi)
{
	dev_open(req, FUSE_ROOT_ID, fi);
}

static void cuse_read(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi)
{
	dev_read(req, FUSE_ROOT_ID, size, off, fi);
}

static void cuse_write(fuse_req_t req, const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	dev_write(req, FUSE_ROOT_ID, buf, size, off, fi);
}

static void cuse_flush(fuse_req_t req, struct fuse_file_info *fi)
{
	dev_flush(req, FUSE_ROOT_ID, fi);
}

static void cuse_release(fuse_req_t req, struct fuse_file_info *fi)
{
	dev_release(req, FUSE_ROOT_ID, fi);
}

static void cuse_ioctl(fuse_req_t req, int cmd, void *arg, struct fuse_file_info *fi, unsigned int flags,
		       const void *in, size_t in_size, size_t out_size)
{
	dev_ioctl(req, FUSE_ROOT_ID, (unsigned int)cmd, arg, fi, flags, in, in_size, out_size);
}

/* The kernel has made the node (devtmpfs, mode 0600): everybody's, as on FreeBSD. */
static void cuse_init_done(void *userdata)
{
	struct device *dev = userdata;

	if (chmod(dev->path, 0666))
		fm_warn("%s: cannot make it mode 0666: %s", dev->path, strerror(errno));
}

static const struct cuse_lowlevel_ops cuse_ops = {
	.init_done = cuse_init_done,
	.open = cuse_open,
	.read = cuse_read,
	.write = cuse_write,
	.flush = cuse_flush,
	.release = cuse_release,
	.ioctl = cuse_ioctl,
};

static const struct fuse_lowlevel_ops dev_ops = {
	.getattr = dev_getattr,
	.open = dev_open,
	.read = dev_read,
	.write = dev_write,
	.flush = dev_flush,
	.release = dev_release,
	.ioctl = dev_ioctl,
};

/* An empty file to mount on: ours if we make it.  A mount left by a daemon
 * that died (ENOTCONN) is cleared; a device or a file with content is not
 * ours to cover. */
static int prepare_mountpoint(struct device *dev)
{
	struct stat st;
	int fd;

	if (stat(dev->path, &st) && errno == ENOTCONN && umount2(dev->path, MNT_DETACH) == 0)
		fm_warn("%s: cleared the mount a daemon that died left", dev->path);
	if (lstat(dev->path, &st) == 0) {
		if (!S_ISREG(st.st_mode) || st.st_size)
			return -EEXIST;
		return 0;
	}
	if ((fd = open(dev->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666)) < 0)
		return -errno;
	fstat(fd, &st);
	close(fd);
	dev->made = true;
	dev->file_dev = st.st_dev;
	dev->file_ino = st.st_ino;
	return 0;
}

static void remove_mountpoint(const struct device *dev)
{
	struct stat st;

	if (dev->made && lstat(dev->path, &st) == 0 && st.st_dev == dev->file_dev && st.st_ino == dev->file_ino)
		unlink(dev->path);
}

static int mount_fs(struct device *dev)
{
	char *argv[] = { "filemond", "-o", "allow_other,default_permissions,fsname=filemond,subtype=filemon", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	int fd;

	dev->se = fuse_session_new(&args, &dev_ops, sizeof(dev_ops), dev);
	fuse_opt_free_args(&args);
	if (!dev->se)
		return -EINVAL;
	if (fuse_session_mount(dev->se, dev->path))
		return -EIO;
	fd = fuse_session_fd(dev->se);
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) ? -errno : 0;
}

/* CUSE for /dev/NAME when the kernel has it. */
static bool want_cuse(const char *path)
{
	return strncmp(path, "/dev/", 5) == 0 && path[5] && !strchr(path + 5, '/') &&
	       access("/dev/cuse", R_OK | W_OK) == 0 && !getenv("FILEMOND_NO_CUSE");
}

/* Register /dev/NAME with the kernel and serve its INIT, so the node is
 * there when this returns. */
static int open_cuse(struct device *dev)
{
	char devname[sizeof("DEVNAME=") + 64], fdpath[32];
	const char *info[] = { devname };
	struct cuse_info ci = { .dev_info_argc = 1, .dev_info_argv = info }; /* restricted ioctls */
	char *argv[] = { "filemond", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	struct stat st;
	int fd;

	if (strlen(dev->path + 5) > 64)
		return -ENAMETOOLONG;
	if (lstat(dev->path, &st) == 0)
		return -EEXIST;
	snprintf(devname, sizeof(devname), "DEVNAME=%s", dev->path + 5);
	dev->se = cuse_lowlevel_new(&args, &ci, &cuse_ops, dev);
	fuse_opt_free_args(&args);
	if (!dev->se)
		return -EINVAL;
	if ((fd = open("/dev/cuse", O_RDWR | O_CLOEXEC | O_NONBLOCK)) < 0)
		return -errno;
	snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", fd);
	if (fuse_session_mount(dev->se, fdpath)) {
		close(fd);
		return -EIO;
	}
	for (int i = 0; i < 50 && (lstat(dev->path, &st) || !S_ISCHR(st.st_mode)); i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 100) > 0)
			device_serve(dev);
	}
	return lstat(dev->path, &st) == 0 && S_ISCHR(st.st_mode) ? 0 : -ETIMEDOUT;
}

struct device *device_start(const char *path, struct service *svc, int sink_fd, long long log_timeout_ms)
{
	struct device *dev = calloc(1, sizeof(*dev));
	int err;

	if (!dev || !(dev->path = strdup(path))) {
		free(dev);
		fm_error("%s: out of memory", path);
		return NULL;
	}
	dev->svc = svc;
	dev->sink_fd = sink_fd;
	dev->log_timeout_ms = log_timeout_ms;
	dev->started = time(NULL);
	dev->cuse = want_cuse(path);
	snprintf(dev->describe, sizeof(dev->describe), "%s (%s)", path, dev->cuse ? "CUSE character device" : "FUSE file");
	if (dev->cuse) {
		if ((err = open_cuse(dev))) {
			fm_error("cannot serve %s over CUSE: %s", path,
				 err == -EEXIST ? "something else is there (not replaced)" : strerror(-err));
			device_stop(dev, 0);
			return NULL;
		}
		return dev;
	}
	if ((err = prepare_mountpoint(dev))) {
		if (err == -EEXIST)
			fm_error("cannot serve %s: something else is there (not an empty file; not replaced)", path);
		else
			fm_error("cannot serve %s: %s", path, strerror(-err));
		device_stop(dev, 0);
		return NULL;
	}
	if ((err = mount_fs(dev))) {
		fm_error("cannot serve %s: the FUSE mount failed (is /dev/fuse there, and the fuse module loaded?)", path);
		device_stop(dev, 0);
		return NULL;
	}
	return dev;
}

int device_fd(const struct device *dev)
{
	return fuse_session_fd(dev->se);
}

bool device_serve(struct device *dev)
{
	for (int i = 0; i < REQUESTS_PER_PASS && !fuse_session_exited(dev->se); i++) {
		int got = fuse_session_receive_buf(dev->se, &dev->buf);

		if (got == -EAGAIN || got == -EINTR)
			break;
		if (got <= 0) { /* unmounted from outside (ENODEV), or broken */
			fm_error("%s: no longer served: %s", dev->path, got ? strerror(-got) : "unmounted");
			fuse_session_exit(dev->se);
		} else {
			fuse_session_process_buf(dev->se, &dev->buf);
		}
	}
	return !fuse_session_exited(dev->se);
}

/* Answer the FLUSHes whose log is written, failed, or stuck past the log timeout. */
static void answer_flushes(struct device *dev, long long now, bool all)
{
	struct waiting_flush **pp = &dev->flushes, *w;

	while ((w = *pp)) {
		int state = flush_state(w->h, w->release);

		if (state == 1 && (all || now - w->since_ms >= dev->log_timeout_ms))
			state = ETIMEDOUT;
		if (state == 1) {
			pp = &w->next;
			continue;
		}
		fuse_reply_err(w->req, state);
		w->h->waiting--;
		*pp = w->next;
		free(w);
	}
}

/* Free the handles whose session has ended and whose log is written; end
 * those whose log accepts nothing. */
static void reap_handles(struct device *dev, long long now)
{
	struct handle **pp = &dev->handles, *h;

	while ((h = *pp)) {
		struct session_result r;

		if (h->sess.out.sink && sink_stalled(h->sess.out.sink, now, dev->log_timeout_ms))
			session_log_cancel(&h->sess); /* its lines are counted lost */
		if (!h->released || h->waiting || !session_log_done(&h->sess)) {
			pp = &h->next;
			continue;
		}
		session_finish(&h->sess, &r);
		*pp = h->next;
		free(h);
	}
}

bool device_check(struct device *dev)
{
	long long now = mono_ms();

	answer_flushes(dev, now, false);
	reap_handles(dev, now);
	return dev->flushes != NULL;
}

const char *device_describe(const struct device *dev)
{
	return dev->describe;
}

void device_stop(struct device *dev, long long ms)
{
	long long deadline = mono_ms() + ms;

	if (!dev)
		return;
	for (struct handle *h = dev->handles; h; h = h->next) {
		h->released = true; /* no request comes once the session is destroyed */
		if (!h->ended) {
			h->ended = true;
			service_close(dev->svc, &h->sess);
		}
	}
	answer_flushes(dev, mono_ms(), true);
	while (dev->handles && mono_ms() < deadline) {
		reap_handles(dev, mono_ms());
		if (dev->handles)
			usleep(10000);
	}
	for (struct handle *h = dev->handles; h; h = h->next)
		session_log_cancel(&h->sess);
	while (dev->handles && mono_ms() < deadline + ms) /* a writer stuck past that is left at exit */
		reap_handles(dev, mono_ms());
	if (dev->se) {
		fuse_session_unmount(dev->se);
		fuse_session_destroy(dev->se);
	}
	remove_mountpoint(dev);
	free(dev->buf.mem);
	free(dev->path);
	free(dev);
}
