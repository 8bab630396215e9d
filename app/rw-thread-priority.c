/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rw-thread-priority.h"

/**
 * rw_thread_lower_priority:
 *
 * Puts the calling thread below the main loop's priority (Linux gives each thread its own
 * niceness): long work in the background (learning, evaluating a policy, reading the evidence)
 * then leaves the window its share of a processor when every one is busy.
 */
void
rw_thread_lower_priority (void)
{
  setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), 10);
}
