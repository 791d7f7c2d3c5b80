// SPDX-License-Identifier: GPL-2.0
/* Unit tests for errno names (src/util/errnames.h). */
#include <errno.h>
#include <stdio.h>

#include "util/errnames.h"
#include "tap.h"

static void test_errno_name(void)
{
	is_str(errno_name(2), "ENOENT", "errno_name(2)");
	is_str(errno_name(ENOENT), "ENOENT", "errno_name(ENOENT)");
	is_str(errno_name(EACCES), "EACCES", "errno_name(EACCES)");
	is_str(errno_name(E2BIG), "E2BIG", "errno_name(E2BIG)");
	is_str(errno_name(ENOEXEC), "ENOEXEC", "errno_name(ENOEXEC)");
	is_str(errno_name(0), NULL, "errno_name(0) is NULL");
	is_str(errno_name(-2), NULL, "errno_name(-2) is NULL");
	is_str(errno_name(100000), NULL, "errno_name(100000) is NULL");
}

int main(void)
{
	test_errno_name();
	return done_testing();
}
