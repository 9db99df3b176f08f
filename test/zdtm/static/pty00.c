// SPDX-License-Identifier: GPL-2.0
/*
 * Pseudo-terminal pairs: one in raw mode with a changed special character and
 * a window size, its master dup'ed; one in canonical mode without echo, with
 * packet mode on and a non-blocking slave; a master whose slave was opened
 * and closed (it reads EIO). After restore each pair carries data both ways
 * and has its settings back (at another /dev/pts number).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "zdtmtst.h"

struct pair {
	int m, s;
	struct termios tio;
	struct winsize ws;
};

static int open_pair(struct pair *p, int sflags)
{
	char name[64];

	p->m = posix_openpt(O_RDWR | O_NOCTTY);
	if (p->m < 0 || grantpt(p->m) || unlockpt(p->m) || ptsname_r(p->m, name, sizeof(name)))
		return -1;
	p->s = open(name, O_RDWR | O_NOCTTY | sflags);
	return p->s < 0 ? -1 : 0;
}

static int setup_raw(struct pair *p)
{
	struct termios t;

	if (open_pair(p, 0) || tcgetattr(p->s, &t))
		return -1;
	cfmakeraw(&t);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	t.c_cc[VKILL] = 0x0b;
	t.c_iflag |= IXANY;
	cfsetspeed(&t, B9600);
	p->ws = (struct winsize){ .ws_row = 37, .ws_col = 123, .ws_xpixel = 640, .ws_ypixel = 480 };
	if (tcsetattr(p->s, TCSANOW, &t) || ioctl(p->m, TIOCSWINSZ, &p->ws))
		return -1;
	return tcgetattr(p->s, &p->tio);
}

static int setup_cooked(struct pair *p)
{
	struct termios t;
	int one = 1;

	p->ws = (struct winsize){ .ws_row = 24, .ws_col = 80 };
	if (open_pair(p, O_NONBLOCK) || ioctl(p->s, TIOCSWINSZ, &p->ws) || ioctl(p->m, TIOCPKT, &one) ||
	    tcgetattr(p->s, &t))
		return -1;
	t.c_lflag &= ~ECHO;	/* canonical, but what the master writes is not echoed back to it */
	if (tcsetattr(p->s, TCSANOW, &t))
		return -1;
	return tcgetattr(p->s, &p->tio);
}

static void check_settings(const char *what, const struct pair *p)
{
	struct termios t;
	struct winsize ws;

	if (tcgetattr(p->s, &t) || ioctl(p->m, TIOCGWINSZ, &ws)) {
		fail("%s: can't read its settings: %s", what, strerror(errno));
		return;
	}
	if (t.c_iflag != p->tio.c_iflag || t.c_oflag != p->tio.c_oflag || t.c_cflag != p->tio.c_cflag ||
	    t.c_lflag != p->tio.c_lflag || memcmp(t.c_cc, p->tio.c_cc, NCCS))
		fail("%s: termios changed (lflag %#x, was %#x)", what, t.c_lflag, p->tio.c_lflag);
	if (cfgetospeed(&t) != cfgetospeed(&p->tio))
		fail("%s: speed changed", what);
	if (memcmp(&ws, &p->ws, sizeof(ws)))
		fail("%s: window %ux%u, was %ux%u", what, ws.ws_row, ws.ws_col, p->ws.ws_row, p->ws.ws_col);
}

/* Write @out on @wfd, expect @want (with its length) on @rfd. */
static void check_io(const char *what, int wfd, const char *out, int rfd, const char *want, size_t len)
{
	char buf[64];
	ssize_t n, got = 0;

	if (write(wfd, out, strlen(out)) != (ssize_t)strlen(out)) {
		fail("%s: write: %s", what, strerror(errno));
		return;
	}
	usleep(50000);	/* the line discipline hands data over asynchronously; one packet */
	while ((size_t)got < len) {
		n = read(rfd, buf + got, sizeof(buf) - got);
		if (n < 0 && errno == EAGAIN) {
			usleep(10000);
			continue;
		}
		if (n <= 0) {
			fail("%s: read: %s", what, n ? strerror(errno) : "EOF");
			return;
		}
		got += n;
	}
	if ((size_t)got != len || memcmp(buf, want, len))
		fail("%s: read %zd bytes, not the %zu expected", what, got, len);
}

int main(int argc, char **argv)
{
	struct pair raw, cooked, lone;
	int dupm, pkt = 0;
	char c;

	test_init(argc, argv);
	if (setup_raw(&raw) || setup_cooked(&cooked) || open_pair(&lone, 0)) {
		fail("setup: %s", strerror(errno));
		return test_finish();
	}
	close(lone.s);
	dupm = dup(raw.m);

	test_daemon();
	test_waitsig();

	check_settings("raw pair", &raw);
	check_settings("cooked pair", &cooked);
	if (ioctl(cooked.m, TIOCGPKT, &pkt) || !pkt)
		fail("packet mode lost");
	if (ioctl(raw.m, TIOCGPKT, &pkt) || pkt)
		fail("packet mode appeared on the raw pair");
	if (!(fcntl(cooked.s, F_GETFL) & O_NONBLOCK))
		fail("slave lost O_NONBLOCK");
	check_io("raw master->slave", raw.m, "ping", raw.s, "ping", 4);
	check_io("raw slave->master (dup)", raw.s, "pong", dupm, "pong", 4);
	check_io("cooked master->slave", cooked.m, "abc\n", cooked.s, "abc\n", 4);
	/* canonical output maps \n to \r\n; packet mode puts a TIOCPKT_DATA byte first */
	check_io("cooked slave->master", cooked.s, "xy\n", cooked.m, "\0xy\r\n", 5);
	if (read(lone.m, &c, 1) != -1 || errno != EIO)
		fail("master of a closed slave does not read EIO");
	return test_finish();
}
