// SPDX-License-Identifier: GPL-2.0
/* unix_stream00 with SOCK_SEQPACKET sockets: the same connections, message boundaries kept. */
#include <sys/socket.h>

#define USK_TYPE SOCK_SEQPACKET
#define USK_NAME "unix_seqpacket00"
#include "unix_stream00.c"
