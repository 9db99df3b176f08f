/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw x86_64 system calls for the freestanding blobs (parasite, restorer).
 * They return the kernel's value: -errno on failure, never touch errno.
 */
#ifndef CR_SYSCALL_H
#define CR_SYSCALL_H

#include <asm/unistd.h>

static inline long sys_call6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	long ret;
	register long r10 asm("r10") = a4;
	register long r8 asm("r8") = a5;
	register long r9 asm("r9") = a6;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
		     : "rcx", "r11", "memory");
	return ret;
}

#define sys_call0(nr)			   sys_call6(nr, 0, 0, 0, 0, 0, 0)
#define sys_call1(nr, a)		   sys_call6(nr, (long)(a), 0, 0, 0, 0, 0)
#define sys_call2(nr, a, b)		   sys_call6(nr, (long)(a), (long)(b), 0, 0, 0, 0)
#define sys_call3(nr, a, b, c)		   sys_call6(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys_call4(nr, a, b, c, d)	   sys_call6(nr, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define sys_call5(nr, a, b, c, d, e)	   sys_call6(nr, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define sys_call6l(nr, a, b, c, d, e, f) \
	sys_call6(nr, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

#define sys_read(fd, buf, n)		sys_call3(__NR_read, fd, buf, n)
#define sys_write(fd, buf, n)		sys_call3(__NR_write, fd, buf, n)
#define sys_pread(fd, buf, n, off)	sys_call4(__NR_pread64, fd, buf, n, off)
#define sys_close(fd)			sys_call1(__NR_close, fd)
#define sys_mmap(a, l, p, f, fd, o)	sys_call6l(__NR_mmap, a, l, p, f, fd, o)
#define sys_munmap(a, l)		sys_call2(__NR_munmap, a, l)
#define sys_mprotect(a, l, p)		sys_call3(__NR_mprotect, a, l, p)
#define sys_shmat(id, a, f)		sys_call3(__NR_shmat, id, a, f)
#define sys_mremap(o, ol, nl, f, n)	sys_call5(__NR_mremap, o, ol, nl, f, n)
#define sys_madvise(a, l, adv)		sys_call3(__NR_madvise, a, l, adv)
#define sys_pipe2(fds, flags)		sys_call2(__NR_pipe2, fds, flags)
#define sys_vmsplice(fd, iov, n, f)	sys_call4(__NR_vmsplice, fd, iov, n, f)
#define sys_fcntl(fd, cmd, arg)		sys_call3(__NR_fcntl, fd, cmd, arg)
#define sys_getpid()			sys_call0(__NR_getpid)
#define sys_gettid()			sys_call0(__NR_gettid)
#define sys_exit(code)			sys_call1(__NR_exit, code)
#define sys_exit_group(code)		sys_call1(__NR_exit_group, code)
#define sys_kill(pid, sig)		sys_call2(__NR_kill, pid, sig)
#define sys_prctl(o, a, b, c, d)	sys_call5(__NR_prctl, o, a, b, c, d)
#define sys_arch_prctl(code, addr)	sys_call2(__NR_arch_prctl, code, addr)
#define sys_rt_sigaction(s, a, o, sz)	sys_call4(__NR_rt_sigaction, s, a, o, sz)
#define sys_rt_sigprocmask(h, s, o, sz) sys_call4(__NR_rt_sigprocmask, h, s, o, sz)
#define sys_sigaltstack(ss, old)	sys_call2(__NR_sigaltstack, ss, old)
#define sys_getitimer(w, v)		sys_call2(__NR_getitimer, w, v)
#define sys_setitimer(w, v, o)		sys_call3(__NR_setitimer, w, v, o)
#define sys_set_tid_address(p)		sys_call1(__NR_set_tid_address, p)
#define sys_rseq(p, l, f, s)		sys_call4(__NR_rseq, p, l, f, s)
#define sys_rt_tgsigqueueinfo(t, p, s, i) sys_call4(__NR_rt_tgsigqueueinfo, t, p, s, i)
#define sys_userfaultfd(flags)		sys_call1(__NR_userfaultfd, flags)
#define sys_ioctl(fd, cmd, arg)		sys_call3(__NR_ioctl, fd, cmd, arg)
#define sys_open(path, flags, mode)	sys_call3(__NR_open, path, flags, mode)
#define sys_lseek(fd, off, whence)	sys_call3(__NR_lseek, fd, off, whence)
#define sys_sendmsg(fd, msg, flags)	sys_call3(__NR_sendmsg, fd, msg, flags)
#define sys_socket(d, t, p)		sys_call3(__NR_socket, d, t, p)
#define sys_connect(fd, a, l)		sys_call3(__NR_connect, fd, a, l)
#define sys_nanosleep(req, rem)		sys_call2(__NR_nanosleep, req, rem)
#define sys_umask(m)			sys_call1(__NR_umask, m)
#define sys_personality(p)		sys_call1(__NR_personality, p)

#endif
